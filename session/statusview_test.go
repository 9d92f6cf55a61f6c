package session

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// statusPeeker reads the session through the Manager at the moment a status
// change is queued: what a reader sees who reacts to the session.status
// event, which the store may commit and publish before the actor handles
// its next message.
type statusPeeker struct {
	Recorder
	mu   sync.Mutex
	mgr  *Manager
	seen []string // "to seen-as"
}

func (r *statusPeeker) QueueSetStatus(id, to, reason string) error {
	err := r.Recorder.QueueSetStatus(id, to, reason)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mgr != nil {
		in, gerr := r.mgr.Get(context.Background(), id)
		if gerr == nil {
			r.seen = append(r.seen, to+" "+string(in.Status))
		}
	}
	return err
}

// A status change is in the session's view (Get, List) by the time the
// store can publish it: before, the actor published its view only after
// the message it was handling, and a client that read the session on the
// session.status event could still get the old status.
func TestStatusIsInTheViewBeforeItIsPublished(t *testing.T) {
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	var peek *statusPeeker
	rt := idleRTWith(t, timers, clock, func(r Recorder) Recorder {
		peek = &statusPeeker{Recorder: r}
		return peek
	})
	defer closeRT(t, rt)
	peek.mu.Lock()
	peek.mgr = rt.Manager
	peek.mu.Unlock()
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "silent", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	if _, err := rt.Manager.Send(ctx, s.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Processing))
	peek.mu.Lock()
	defer peek.mu.Unlock()
	if len(peek.seen) == 0 {
		t.Fatal("no status change was queued")
	}
	for _, s := range peek.seen {
		if to, as, _ := strings.Cut(s, " "); to != as {
			t.Fatalf("when the change to %s was queued, Get said %s (all: %v)", to, as, peek.seen)
		}
	}
}
