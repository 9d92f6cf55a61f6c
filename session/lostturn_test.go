package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// lossyRecorder is the store with the events of one run held in its queue
// until the test decides they are lost (their commit failed for a full
// disk); a Sync waits for that decision, as it waits for a commit.
type lossyRecorder struct {
	Recorder
	mu      sync.Mutex
	run     string // the run whose events are held
	held    int64
	decided chan struct{}
	lost    map[string]int64
}

func (r *lossyRecorder) holdRun(run string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.run, r.decided = run, make(chan struct{})
}

// loseHeld counts what was held as lost for session id and lets Sync on.
func (r *lossyRecorder) loseHeld(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost == nil {
		r.lost = map[string]int64{}
	}
	r.lost[id] += r.held
	r.held, r.run = 0, ""
	close(r.decided)
}

func (r *lossyRecorder) Append(evs ...event.Event) error {
	r.mu.Lock()
	var keep []event.Event
	for _, e := range evs {
		if r.run != "" && e.RunID == r.run {
			r.held++
			continue
		}
		keep = append(keep, e)
	}
	r.mu.Unlock()
	if len(keep) == 0 {
		return nil
	}
	return r.Recorder.Append(keep...)
}

func (r *lossyRecorder) Sync(ctx context.Context) error {
	r.mu.Lock()
	ch := r.decided
	r.mu.Unlock()
	if ch != nil {
		<-ch
	}
	return r.Recorder.Sync(ctx)
}

func (r *lossyRecorder) LostEvents(id string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Recorder.LostEvents(id) + r.lost[id]
}

func (r *lossyRecorder) LostCause() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lost) > 0 {
		return &store.Unavailable{Op: "commit", Kind: store.ErrDiskFull, Err: errors.New("no space left on device")}
	}
	return r.Recorder.LostCause()
}

// A turn whose tail the store loses after the turn ended (its commit
// failed once the next turn had started) is the turn the loss is reported
// against: the next turn, whose own events were all stored, ends idle.
func TestLostTailIsChargedToItsOwnTurn(t *testing.T) {
	var rec *lossyRecorder
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := idleRTWith(t, timers, clock, func(r Recorder) Recorder {
		rec = &lossyRecorder{Recorder: r}
		return rec
	})
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "silent", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := rt.Manager.get(s.ID)
	w := watch(t, rt, s.ID, 0)
	turn := func(run string) {
		t.Helper()
		text := event.New(event.AssistantText, agent.TextData{Text: "the answer"})
		done := event.New(event.TurnCompleted, agent.TurnCompletedData{OK: true})
		rt.Manager.postEvent(l, agentEventMsg{ev: text, at: clock.Now()})
		rt.Manager.postEvent(l, agentEventMsg{ev: done, at: clock.Now()})
		drain(t, rt.Manager, l)
	}

	run1, err := rt.Manager.Send(ctx, s.ID, "one")
	if err != nil {
		t.Fatal(err)
	}
	rec.holdRun(run1)
	turn(run1) // its text and turn.completed wait in the queue
	if in, _ := rt.Manager.Get(ctx, s.ID); in.Status != Idle {
		t.Fatalf("turn 1 ended as %s", in.Status)
	}
	run2, err := rt.Manager.Send(ctx, s.ID, "two")
	if err != nil {
		t.Fatal(err)
	}
	rec.loseHeld(s.ID) // the commit of turn 1's tail fails
	w.until(func(e event.Event) bool {
		return e.Kind == event.ErrorKind && e.RunID == run1 && strings.Contains(string(e.Data), store.CodeStorageFull)
	})
	turn(run2)
	in, err := rt.Manager.Get(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != Idle {
		t.Fatalf("turn 2, all stored, ended as %s", in.Status)
	}
}
