package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// The queued record writes apply in queue order with the events appended
// around them, as if each had been waited for.
func TestQueuedWritesKeepOrder(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	ctx := context.Background()
	now := time.Now()
	if _, err := s.CreateSession(ctx, store.Session{ID: "s1", Agent: "a", Cwd: "/", Status: "active", CreatedAt: now, UpdatedAt: now, LastActivity: now}); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.QueueCreateRun(store.Run{ID: "r1", SessionID: "s1"}))
	must(s.Append(ev("s1", event.RunStarted, `{}`)))
	must(s.QueueSetStatus("s1", "processing", "turn"))
	must(s.QueueAddPermissionRequest(store.PermissionRequest{ID: "s1/q", SessionID: "s1", RunID: "r1", Tool: "Bash"}))
	must(s.Append(ev("s1", event.AssistantText, `{"text":"hi"}`)))
	must(s.QueueResolvePermission("s1/q", store.Decision{Decision: store.PermissionAllow, By: "user"}))
	must(s.QueueAddUsage("s1", store.Usage{Messages: 1, InputTokens: 7}))
	must(s.QueueUpdateSession("s1", func(x *store.Session) error { x.Title = "named"; return nil }))
	must(s.QueueFinishRun("r1", store.RunEnd{Reason: "exit"}))
	must(s.QueueSetStatus("s1", "idle", ""))
	// A refused write (an illegal change) is dropped, not reported, and
	// does not take the others with it.
	must(s.QueueSetStatus("s1", "waiting_permission", ""))
	must(s.Append(ev("s1", event.Stdout, `{"text":"after"}`)))
	must(s.Sync(ctx))

	evs, err := s.Events("s1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := []string{event.RunStarted, event.SessionStatus, event.AssistantText, event.PermissionResolved, event.RunExited, event.SessionStatus, event.Stdout}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	rec, err := s.GetSession("s1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != "idle" || rec.Title != "named" || rec.Messages != 1 || rec.Usage.InputTokens != 7 {
		t.Fatalf("session %+v", rec)
	}
	if p, err := s.GetPermission("s1/q"); err != nil || p.Status != store.PermissionAllow {
		t.Fatalf("permission %+v %v", p, err)
	}
	if r, err := s.GetRun("r1"); err != nil || r.EndedAt.IsZero() {
		t.Fatalf("run %+v %v", r, err)
	}
	s.Close()
	if err := s.QueueSetStatus("s1", "processing", ""); err == nil {
		t.Fatal("a closed store queued a write")
	}
}
