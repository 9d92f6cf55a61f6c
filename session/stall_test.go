package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// stallRecorder is the store with its commits held back: while stalled,
// queued writes are kept in order in memory (as a store whose disk has
// stopped answering keeps them in its queue) and writes that wait for a
// commit block until release.
type stallRecorder struct {
	Recorder
	mu      sync.Mutex
	stalled bool
	held    []func() error
	kinds   []string // kinds of the events held
	release chan struct{}
}

func (r *stallRecorder) stall() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stalled, r.release = true, make(chan struct{})
}

// resume writes what was held, in order, then lets everything through.
func (r *stallRecorder) resume(t *testing.T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.held {
		if err := w(); err != nil {
			t.Errorf("held write: %v", err)
		}
	}
	r.held, r.stalled = nil, false
	close(r.release)
}

func (r *stallRecorder) heldKinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.kinds...)
}

func (r *stallRecorder) queue(w func() error, evs ...event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stalled {
		return w()
	}
	for _, e := range evs {
		r.kinds = append(r.kinds, e.Kind)
	}
	r.held = append(r.held, w)
	return nil
}

func (r *stallRecorder) wait() {
	r.mu.Lock()
	ch, stalled := r.release, r.stalled
	r.mu.Unlock()
	if stalled {
		<-ch
	}
}

func (r *stallRecorder) Append(evs ...event.Event) error {
	cp := append([]event.Event(nil), evs...)
	return r.queue(func() error { return r.Recorder.Append(cp...) }, cp...)
}
func (r *stallRecorder) QueueSetStatus(id, to, reason string) error {
	return r.queue(func() error { return r.Recorder.QueueSetStatus(id, to, reason) })
}
func (r *stallRecorder) QueueUpdateSession(id string, fn func(*store.Session) error) error {
	return r.queue(func() error { return r.Recorder.QueueUpdateSession(id, fn) })
}
func (r *stallRecorder) QueueAddUsage(id string, u store.Usage) error {
	return r.queue(func() error { return r.Recorder.QueueAddUsage(id, u) })
}
func (r *stallRecorder) QueueCreateRun(x store.Run) error {
	return r.queue(func() error { return r.Recorder.QueueCreateRun(x) })
}
func (r *stallRecorder) QueueFinishRun(runID string, end store.RunEnd) error {
	return r.queue(func() error { return r.Recorder.QueueFinishRun(runID, end) })
}
func (r *stallRecorder) QueueAddPermissionRequest(p store.PermissionRequest) error {
	return r.queue(func() error { return r.Recorder.QueueAddPermissionRequest(p) })
}
func (r *stallRecorder) QueueResolvePermission(id string, d store.Decision) error {
	return r.queue(func() error { return r.Recorder.QueueResolvePermission(id, d) })
}
func (r *stallRecorder) CreateSession(ctx context.Context, x store.Session) (store.Session, error) {
	r.wait()
	return r.Recorder.CreateSession(ctx, x)
}
func (r *stallRecorder) DeleteSession(ctx context.Context, id string) error {
	r.wait()
	return r.Recorder.DeleteSession(ctx, id)
}
func (r *stallRecorder) Sync(ctx context.Context) error {
	r.wait()
	return r.Recorder.Sync(ctx)
}

// TestOutputReaderKeepsReadingWhileTheRecorderStalls holds back every
// commit and runs a whole turn of the real (re-executed) agent: its output
// is read, decoded and acted on — text streamed, the turn ended, the
// session idle again — although nothing of it has been committed. Once
// the store answers again, the turn's events reach clients in order.
func TestOutputReaderKeepsReadingWhileTheRecorderStalls(t *testing.T) {
	var rec *stallRecorder
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	o.WrapRecorder = func(r Recorder) Recorder {
		rec = &stallRecorder{Recorder: r}
		return rec
	}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), fakeConfig(t), o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	if err := rt.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	rec.stall()
	resumed := false
	defer func() {
		if !resumed {
			rec.resume(t)
		}
	}()
	run, err := rt.Manager.Send(ctx, info.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		x, err := rt.Manager.Get(ctx, info.ID)
		if err != nil {
			t.Fatal(err)
		}
		if x.Status == Idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the turn did not end while the recorder stalled: status %s, held %v", x.Status, rec.heldKinds())
		}
		time.Sleep(10 * time.Millisecond)
	}
	held := rec.heldKinds()
	var text, done bool
	for _, k := range held {
		text = text || k == event.AssistantText
		done = done || k == event.TurnCompleted
	}
	if !text || !done {
		t.Fatalf("the agent's output was not read and decoded while stalled: held %v", held)
	}
	stored, err := rt.Store.Events(info.ID, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range stored {
		if e.RunID == run {
			t.Fatalf("an event of the turn was committed while the recorder stalled: %s", e.Kind)
		}
	}

	rec.resume(t)
	resumed = true
	evs := w.until(func(e event.Event) bool { return e.Kind == event.TurnCompleted && e.RunID == run })
	if count(evs, event.AssistantText) == 0 {
		t.Fatalf("the held text never reached the bus: %v", kindsOf(evs))
	}
}
