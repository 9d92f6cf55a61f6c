package session

import (
	"context"
	"testing"
)

// fakeSession opens a runtime in a temporary directory (closed when the
// test ends) with one session of the fake agent, and watches its events.
func fakeSession(t *testing.T) (*Runtime, Info, *watcher) {
	t.Helper()
	rt := openRT(t, t.TempDir(), nil)
	t.Cleanup(func() { closeRT(t, rt) })
	info, err := rt.Manager.Create(context.Background(), CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return rt, info, watch(t, rt, info.ID, 0)
}
