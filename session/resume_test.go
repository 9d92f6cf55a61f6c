package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/store"
)

// holdUpdates is the store with its queued record updates held back (as a
// slow disk leaves them in the queue); the rest goes through.
type holdUpdates struct {
	Recorder
	mu   sync.Mutex
	held []func() error
}

func (r *holdUpdates) QueueUpdateSession(id string, fn func(*store.Session) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held = append(r.held, func() error { return r.Recorder.QueueUpdateSession(id, fn) })
	return nil
}

// Resuming a terminated session continues the agent conversation the
// session knows, although the store's record of it has not caught up yet.
func TestResumeOfATerminatedSessionTakesTheLiveAgentSessionID(t *testing.T) {
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	o.WrapRecorder = func(r Recorder) Recorder { return &holdUpdates{Recorder: r} }
	rt, err := OpenRuntime(context.Background(), t.TempDir(), fakeConfig(t), o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	if _, err := rt.Manager.Send(ctx, s.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))
	if in, _ := rt.Manager.Get(ctx, s.ID); in.AgentSessionID != fakeagent.SessionID {
		t.Fatalf("the session's agent id is %q, want %q", in.AgentSessionID, fakeagent.SessionID)
	}
	if err := rt.Manager.Stop(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	next, err := rt.Manager.Resume(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if next.ID == s.ID || next.AgentSessionID != fakeagent.SessionID {
		t.Fatalf("resumed as %s with agent id %q, want a new session continuing %q", next.ID, next.AgentSessionID, fakeagent.SessionID)
	}
}
