package store_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// TestDisconnectAndReconnectRunner: a lost runner's live replicas become
// disconnected (terminated ones and other runners' stay), a runner.status
// event names them in the system stream, and the runner's statuses come
// back only on rows still disconnected.
func TestDisconnectAndReconnectRunner(t *testing.T) {
	var c collector
	s := open(t, t.TempDir(), store.Options{Publish: c.publish})
	for _, r := range []struct{ id, runner, status string }{
		{"a", "r1", "processing"}, {"b", "r1", "idle"}, {"c", "r1", "terminated"}, {"d", "r2", "idle"},
	} {
		first := rep(r.id, 1, 0)
		first.Session = &store.Session{ID: r.id, Agent: "fake", Cwd: "/", Status: r.status}
		if _, err := s.AppendReplicated(ctx, r.runner, []store.Replica{first}); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := s.DisconnectRunner(ctx, "r1")
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"a", "b"}) {
		t.Fatalf("disconnected %v %v", ids, err)
	}
	for id, want := range map[string]string{"a": "disconnected", "b": "disconnected", "c": "terminated", "d": "idle"} {
		if x, err := s.GetSession(id); err != nil || x.Status != want {
			t.Fatalf("%s: %q %v, want %q", id, x.Status, err, want)
		}
	}
	// Twice is once: nothing more to mark.
	if ids, err := s.DisconnectRunner(ctx, "r1"); err != nil || len(ids) != 0 {
		t.Fatalf("again: %v %v", ids, err)
	}
	// A record of a still on its way when the runner was lost does not
	// undo the loss: only the reconciliation does.
	rec := rep("a", 2, 1)
	rec.Session = &store.Session{ID: "a", Agent: "fake", Cwd: "/", Status: "processing", Title: "late"}
	if _, err := s.AppendReplicated(ctx, "r1", []store.Replica{rec}); err != nil {
		t.Fatal(err)
	}
	if x, err := s.GetSession("a"); err != nil || x.Status != "disconnected" || x.Title != "late" {
		t.Fatalf("after a late record: %+v %v", x, err)
	}
	ids, err = s.ReconnectRunner(ctx, "r1", map[string]string{"a": "interrupted", "b": "idle", "c": "idle", "d": "error"})
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"a", "b"}) {
		t.Fatalf("reconnected %v %v", ids, err)
	}
	// Once reconnected, records apply as before.
	rec = rep("a", 3, 2)
	rec.Session = &store.Session{ID: "a", Agent: "fake", Cwd: "/", Status: "idle"}
	if _, err := s.AppendReplicated(ctx, "r1", []store.Replica{rec}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"a": "idle", "b": "idle", "c": "terminated", "d": "idle"} {
		if x, err := s.GetSession(id); err != nil || x.Status != want {
			t.Fatalf("%s: %q %v, want %q", id, x.Status, err, want)
		}
	}
	var notices []store.RunnerStatusData
	for _, ev := range c.all() {
		if ev.Kind == event.RunnerStatus {
			if ev.SessionID != "" {
				t.Fatalf("runner.status in session %q", ev.SessionID)
			}
			var d store.RunnerStatusData
			json.Unmarshal(ev.Data, &d)
			notices = append(notices, d)
		}
	}
	if len(notices) != 3 || notices[0].Status != "lost" || len(notices[0].Sessions) != 2 || notices[2].Status != "online" || len(notices[2].Sessions) != 2 {
		t.Fatalf("notices %+v", notices)
	}
}
