package session

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
)

// bareLive is a live session with no process and a manager with nothing
// behind it: enough for the mailbox and the actor's lifecycle.
func bareLive() (*Manager, *live) {
	m := &Manager{live: map[string]*live{}}
	l := &live{id: "s-bare", mb: newMailbox(&m.actors), perms: newBroker(0), permStop: map[string]armed{}}
	return m, l
}

// The actor handles messages in the order they were posted, runs while the
// session holds something live, ends when it is quiet, starts again for
// the next message with the state where it was, and refuses everything
// once it ended for good.
func TestActorLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, l := bareLive()

	var got []int
	for i := range 1000 {
		if err := m.post(l, command{run: func() { got = append(got, i) }, fail: func(error) {}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := call(m, l, func() (int, error) { l.turn = "r-1"; return len(got), nil })
	if err != nil || n != 1000 {
		t.Fatalf("call after 1000 posts saw %d handled (err %v)", n, err)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("message %d handled as %d-th", v, i)
		}
	}
	// A turn runs: the actor cannot have ended.
	if !l.mb.active() {
		t.Fatal("the actor ended while its session ran a turn")
	}
	if err := do(m, l, func() error { l.turn = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	m.actors.Wait() // the session is quiet: its actor ends

	turn, err := call(m, l, func() (string, error) { return l.turn, nil })
	if err != nil || turn != "" {
		t.Fatalf("a restarted actor: turn %q, err %v", turn, err)
	}
	if err := do(m, l, func() error { l.mb.end(l, ErrClosed); return nil }); err != nil {
		t.Fatal(err)
	}
	m.actors.Wait()
	if _, err := call(m, l, func() (int, error) { return 1, nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("call on an ended actor: %v, want ErrClosed", err)
	}
	// A decoded event for an ended session is dropped, never waits.
	m.postEvent(l, agentEventMsg{ev: event.New(event.AssistantText, nil)})
	if len(l.mb.slots) != 0 {
		t.Fatalf("%d agent events hold a slot of an ended actor", len(l.mb.slots))
	}
}

// Commands queued behind the one that ends the actor fail with its error.
func TestActorEndFailsWhatIsQueued(t *testing.T) {
	defer goleak.VerifyNone(t)
	m, l := bareLive()
	hold, held := make(chan struct{}), make(chan struct{})
	if err := m.post(l, command{run: func() { close(held); <-hold }, fail: func(error) {}}); err != nil {
		t.Fatal(err)
	}
	<-held
	if err := m.post(l, command{run: func() { l.mb.end(l, ErrNotFound) }, fail: func(error) {}}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- do(m, l, func() error { return nil }) }()
	// The third command is queued once the mailbox holds it.
	for {
		l.mb.mu.Lock()
		n := len(l.mb.q)
		l.mb.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(hold)
	if err := <-errc; !errors.Is(err, ErrNotFound) {
		t.Fatalf("a command queued behind the end: %v, want ErrNotFound", err)
	}
	m.actors.Wait()
}

// A decoded agent event and a later API call reach the actor in that
// order, whatever goroutines they come from: a call made after the tap
// posted turn.completed sees the turn ended, and a new turn can start at
// once. Readers of the session run all the while (go test -race).
func TestActorAgentEventsAndCallsInterleaveInOrder(t *testing.T) {
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := idleRT(t, timers, clock)
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "silent", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	l, ok := rt.Manager.get(s.ID)
	if !ok {
		t.Fatal("no live session")
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := rt.Manager.List(ctx); err != nil {
					t.Error(err)
					return
				}
				rt.Manager.CleanupIdle()
			}
		}()
	}
	var runs []string
	for range 20 {
		run, err := rt.Manager.Send(ctx, s.ID, "hello")
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
		// What the tap does with a decoded line: no waiting for the actor.
		done := event.New(event.TurnCompleted, agent.TurnCompletedData{OK: true})
		rt.Manager.postEvent(l, agentEventMsg{ev: done, at: clock.Now()})
		drain(t, rt.Manager, l)
		in, err := rt.Manager.Get(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if in.Status != Idle || in.RunID != "" {
			t.Fatalf("after turn.completed was posted: status %s, run %q", in.Status, in.RunID)
		}
	}
	close(stop)
	readers.Wait()
	if err := rt.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := rt.Store.Events(s.ID, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range evs {
		if e.Kind == event.RunStarted || e.Kind == event.TurnCompleted {
			order = append(order, e.Kind+" "+e.RunID)
		}
	}
	var want []string
	for _, r := range runs {
		want = append(want, event.RunStarted+" "+r, event.TurnCompleted+" "+r)
	}
	if !slices.Equal(order, want) {
		t.Fatalf("stored order:\n%v\nwant\n%v", order, want)
	}
}

// Concurrent messages to one session start one turn: the others are
// refused with ErrConflict.
func TestActorConcurrentSendsStartOneTurn(t *testing.T) {
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := idleRT(t, timers, clock)
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "silent", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	runs, errs := make([]string, n), make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], errs[i] = rt.Manager.Send(ctx, s.ID, "hello")
		}()
	}
	wg.Wait()
	var started []string
	for i := range n {
		switch {
		case errs[i] == nil:
			started = append(started, runs[i])
		case !errors.Is(errs[i], ErrConflict):
			t.Fatalf("send %d: %v, want ErrConflict", i, errs[i])
		}
	}
	in, err := rt.Manager.Get(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 1 || in.RunID != started[0] {
		t.Fatalf("started %v, the session runs %q", started, in.RunID)
	}
}

// The actor of a session with a process lives as long as the process; it
// ends once the process is gone and nothing is pending. A call holding a
// deleted session gets ErrNotFound, and after Shutdown every call gets
// ErrClosed; no goroutine is left.
func TestActorEndsAndCallsGetTypedErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	rt := openRT(t, t.TempDir(), nil)
	ctx := context.Background()
	a, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	la, _ := rt.Manager.get(a.ID)
	if !la.mb.active() {
		t.Fatal("no actor while the agent process runs")
	}
	if err := rt.Manager.Stop(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for la.mb.active() {
		if time.Now().After(deadline) {
			t.Fatal("the actor of a stopped session did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if in, err := rt.Manager.Get(ctx, a.ID); err != nil || in.Status != Terminated {
		t.Fatalf("get after the actor ended: %+v, %v", in, err)
	}

	if err := rt.Manager.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := do(rt.Manager, la, func() error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("call on a deleted session's actor: %v, want ErrNotFound", err)
	}

	b, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	lb, _ := rt.Manager.get(b.ID)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rt.Manager.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if err := do(rt.Manager, lb, func() error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("call on a shut down session's actor: %v, want ErrClosed", err)
	}
	if _, err := rt.Manager.Send(ctx, b.ID, "hello"); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after shutdown: %v, want ErrClosed", err)
	}
	rt.Bus.Close()
	if err := rt.Store.Close(); err != nil {
		t.Fatal(err)
	}
}

// The output reader does not wait for a busy actor: while the actor is
// held, maxQueuedAgentEvents decoded events are posted, and all of them
// are acted on, in order, once it runs again.
func TestActorReaderDoesNotWaitForABusyActor(t *testing.T) {
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := idleRT(t, timers, clock)
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "silent", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	run, err := rt.Manager.Send(ctx, s.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := rt.Manager.get(s.ID)
	hold, held := make(chan struct{}), make(chan struct{})
	go do(rt.Manager, l, func() error { close(held); <-hold; return nil }) // error ignored: it cannot fail
	<-held
	for i := range maxQueuedAgentEvents {
		ev := event.New(event.AssistantText, agent.TextData{Text: "x"})
		if i == maxQueuedAgentEvents-1 {
			ev = event.New(event.TurnCompleted, agent.TurnCompletedData{OK: true})
		}
		rt.Manager.postEvent(l, agentEventMsg{ev: ev, at: clock.Now()})
	}
	close(hold)
	drain(t, rt.Manager, l)
	if in, err := rt.Manager.Get(ctx, s.ID); err != nil || in.Status != Idle {
		t.Fatalf("after the queued events: %+v, %v", in, err)
	}
	if err := rt.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var texts int
	for since := int64(0); ; {
		evs, err := rt.Store.Events(s.ID, since, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if e.RunID == run && e.Kind == event.AssistantText {
				texts++
			}
		}
		since = evs[len(evs)-1].Seq
	}
	if texts != maxQueuedAgentEvents-1 {
		t.Fatalf("%d texts of the turn stored, want %d", texts, maxQueuedAgentEvents-1)
	}
}

// drain returns once l's actor has handled every message posted before it
// (queries read the published view and do not wait for the actor).
func drain(t *testing.T, m *Manager, l *live) {
	t.Helper()
	if err := do(m, l, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
}
