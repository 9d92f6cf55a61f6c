package api

import (
	"os"
	"syscall"
	"testing"
)

// By default the pending-connection cap follows the process's soft
// RLIMIT_NOFILE: with a limit of a couple of hundred descriptors, 256
// pending connections would take them all and leave none for the store,
// the agents and the token holder.
func TestPendingCapFromRlimit(t *testing.T) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	limit := uint64(len(fds)) + 200
	if uint64(old.Cur) < limit {
		t.Skipf("the open-files limit %d is already below %d", old.Cur, limit)
	}
	lowered := old
	lowered.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lowered); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })

	s, hs, accepted := newGuardedServer(t, ServerOptions{}, nil)
	dialIdle(t, hs, 80) // 80 descriptors here, up to 80 in the server: within the limit
	waitAccepted(t, accepted, 80)
	want := int(limit / 4)
	if p, _ := s.PendingConns(); p > want {
		t.Errorf("%d connections pending under an open-files limit of %d, want at most %d", p, limit, want)
	}
	code, body, _ := do(t, hs, "POST", "/api/call/ListSessions", "{}", map[string]string{"Authorization": "Bearer " + testToken})
	if code != 200 {
		t.Fatalf("the token holder: %d %s", code, body)
	}
}
