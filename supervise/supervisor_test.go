package supervise

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

func exitData(t *testing.T, ev event.Event) Result {
	t.Helper()
	var r Result
	if err := json.Unmarshal(ev.Data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func isKind(id, kind string) func(event.Event) bool {
	return func(ev event.Event) bool { return ev.ProcessID == id && ev.Kind == kind }
}

func TestCrashLoopBacksOffAndGivesUp(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk, Rand: func() float64 { return 0.5 }})
	p, err := s.Start(Spec{Spec: helper(mark, "exit", "1"), Restart: RestartPolicy{Mode: RestartOnFailure}})
	if err != nil {
		t.Fatal(err)
	}
	// 500 ms doubling, plus the injected 5 % jitter.
	want := []time.Duration{525 * time.Millisecond, 1050 * time.Millisecond, 2100 * time.Millisecond, 4200 * time.Millisecond}
	for i, d := range want {
		n := i + 1
		ev := rec.waitFor(t, fmt.Sprintf("backoff %d", n), func(ev event.Event) bool {
			if !stateIs(p.ID(), StateBackoff)(ev) {
				return false
			}
			var b struct{ Attempt int }
			json.Unmarshal(ev.Data, &b)
			return b.Attempt == n
		})
		var b struct {
			DelayMs  int64
			Failures int
			Code     int
		}
		json.Unmarshal(ev.Data, &b)
		if time.Duration(b.DelayMs)*time.Millisecond != d || b.Failures != n || b.Code != 1 {
			t.Fatalf("backoff %d: %s; want delay %v after %d failures", n, ev.Data, d, n)
		}
		clk.waitTimer(t, d)
		if got := count(rec.all(), p.ID(), event.ProcessState); n > 1 && got == 0 {
			t.Fatal("no state events")
		}
		clk.Advance(d)
	}
	r := p.Wait()
	if r.State != StateFailed || !r.GaveUp || r.Attempts != 5 || r.Code != 1 || r.Reason != ReasonExit {
		t.Fatalf("result %+v; want failed, gave up after 5 attempts", r)
	}
	rec.waitFor(t, "run.exited", isKind(p.ID(), event.RunExited))
	evs := rec.all()
	if n := count(evs, p.ID(), event.RunExited); n != 1 {
		t.Fatalf("%d run.exited events", n)
	}
	if last := evs[len(evs)-1]; last.Kind != event.RunExited {
		t.Fatalf("last event %s, want run.exited", last.Kind)
	}
}

func TestTimeoutsFireOnceWithTheirReason(t *testing.T) {
	tests := []struct {
		name   string
		spec   func(Spec) Spec
		timer  time.Duration
		reason string
		limit  string
		state  State
	}{
		{"idle", func(s Spec) Spec { s.IdleTimeout = 10 * time.Second; return s }, 10 * time.Second, ReasonIdleTimeout, "idle", StateExited},
		{"total", func(s Spec) Spec { s.Timeout = 20 * time.Second; return s }, 20 * time.Second, ReasonTimeout, "total", StateExited},
		{"start", func(s Spec) Spec {
			s.Ready = Readiness{Mode: ReadyLine, Line: "never printed"}
			s.StartTimeout = 7 * time.Second
			return s
		}, 7 * time.Second, ReasonTimeout, "start", StateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s, rec, mark := newTestSupervisor(t, Config{Clock: clk})
			spec := tt.spec(Spec{Spec: helper(mark, "sleep"), Ready: Readiness{Mode: ReadyOnStart}})
			p, err := s.Start(spec)
			if err != nil {
				t.Fatal(err)
			}
			rec.waitFor(t, "ready line", isKind(p.ID(), event.Stdout))
			clk.waitTimer(t, tt.timer)
			clk.Advance(tt.timer)
			r := p.Wait()
			if r.Reason != tt.reason || r.Limit != tt.limit || r.State != tt.state {
				t.Fatalf("result %+v; want %s/%s", r, tt.reason, tt.limit)
			}
			ev := rec.waitFor(t, "run.exited", isKind(p.ID(), event.RunExited))
			// Further time must not produce a second terminal event.
			clk.Advance(time.Hour)
			s.Shutdown(t.Context())
			if n := count(rec.all(), p.ID(), event.RunExited); n != 1 {
				t.Fatalf("%d run.exited events", n)
			}
			if d := exitData(t, ev); d.Reason != tt.reason || d.Limit != tt.limit {
				t.Fatalf("run.exited data %s", ev.Data)
			}
		})
	}
}

func TestIdleTimerRestartsOnOutput(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk})
	spec := helper(mark, "echo")
	spec.Stdin = proc.StdinPipe
	p, err := s.Start(Spec{Spec: spec, Ready: Readiness{Mode: ReadyOnStart}, IdleTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clk.waitTimer(t, 10*time.Second)
	clk.Advance(6 * time.Second)
	p.Write([]byte("ping\n"))
	rec.waitFor(t, "echoed line", isKind(p.ID(), event.Stdout))
	// The line came at +6 s; the check at +10 s re-arms for the 6 s left.
	clk.Advance(4 * time.Second)
	clk.waitTimer(t, 6*time.Second)
	if st := p.Info().State; st != StateRunning {
		t.Fatalf("state %s after output inside the idle limit", st)
	}
	clk.Advance(6 * time.Second)
	if r := p.Wait(); r.Reason != ReasonIdleTimeout {
		t.Fatalf("result %+v", r)
	}
}

func TestReadinessPredicates(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk})
	p, err := s.Start(Spec{Spec: helper(mark, "json"), Ready: Readiness{Mode: ReadyJSON}})
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
	// Running came after the JSON line, not after the banner.
	var lines int
	for _, ev := range rec.all() {
		if ev.Kind == event.Stdout {
			lines++
		}
		if stateIs(p.ID(), StateRunning)(ev) {
			break
		}
	}
	if lines != 2 {
		t.Fatalf("running after %d lines, want 2", lines)
	}
	q, err := s.Start(Spec{Spec: helper(mark, "sleep")})
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "starting", stateIs(q.ID(), StateStarting))
	clk.waitTimer(t, DefaultReadyGrace)
	clk.Advance(DefaultReadyGrace)
	rec.waitFor(t, "running after the grace", stateIs(q.ID(), StateRunning))
	p.Stop()
	q.Stop()
	p.Wait()
	q.Wait()
}

func TestSpawnFailedIsTerminal(t *testing.T) {
	s, rec, _ := newTestSupervisor(t, Config{})
	p, err := s.Start(Spec{Spec: proc.Spec{Program: "/nonexistent/program"}, Restart: RestartPolicy{Mode: RestartAlways}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Wait()
	var sf *proc.SpawnFailed
	if r.Reason != ReasonSpawnFailed || r.State != StateFailed || !errors.As(r.Err, &sf) || r.ShellCode() != 127 {
		t.Fatalf("result %+v", r)
	}
	ev := rec.waitFor(t, "run.exited", isKind(p.ID(), event.RunExited))
	if d := exitData(t, ev); d.Error == "" {
		t.Fatalf("run.exited without the error: %s", ev.Data)
	}
}

func TestExitCodeAndOutputEvents(t *testing.T) {
	// A clock that never moves: the one-second readiness grace cannot end,
	// so the state sequence does not depend on how fast the machine is.
	s, rec, mark := newTestSupervisor(t, Config{Clock: newFakeClock()})
	spec := helper(mark, "flood", "3")
	p, err := s.Start(Spec{Spec: spec, Owner: Owner{Kind: "session", ID: "s1"}, RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Wait()
	if r.Reason != ReasonExit || r.Code != 0 || r.State != StateExited {
		t.Fatalf("result %+v", r)
	}
	s.Shutdown(t.Context())
	var got []string
	for _, ev := range rec.all() {
		if ev.SessionID != "s1" || ev.RunID != "r1" || ev.ProcessID != p.ID() {
			t.Fatalf("event not stamped: %+v", ev)
		}
		if ev.Kind == event.Stdout {
			b, err := decodeOutput(ev.Data)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(b))
		}
	}
	if fmt.Sprint(got) != "[line 0 line 1 line 2]" {
		t.Fatalf("lines %q", got)
	}
	// The state sequence of a clean one-shot run.
	var states []string
	for _, ev := range rec.all() {
		if ev.Kind == event.ProcessState {
			var d struct{ State string }
			json.Unmarshal(ev.Data, &d)
			states = append(states, d.State)
		}
	}
	if fmt.Sprint(states) != "[starting exited]" {
		t.Fatalf("states %v", states)
	}
}

func TestSlowConsumerNeverBlocksTheChild(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder()
	blocking := func(ev event.Event) {
		<-release
		rec.sink(ev)
	}
	const lines = 20000
	s, _, mark := newTestSupervisor(t, Config{Sink: blocking, EventQueue: 64})
	p, err := s.Start(Spec{Spec: helper(mark, "flood", fmt.Sprint(lines))})
	if err != nil {
		t.Fatal(err)
	}
	// The sink delivers nothing until the child is over: the child ran to
	// the end at full speed with its output queued or counted.
	<-p.Done()
	close(release)
	s.Shutdown(t.Context())
	var delivered, lost uint64
	var truncated int
	evs := rec.all()
	for _, ev := range evs {
		switch ev.Kind {
		case event.Stdout:
			delivered++
		case event.OutputTruncated:
			truncated++
			var d Truncated
			json.Unmarshal(ev.Data, &d)
			lost += d.Stdout.Lines
			if d.Stdout.Bytes == 0 || d.Reason == "" {
				t.Fatalf("truncation without bytes: %s", ev.Data)
			}
		}
	}
	if truncated == 0 || delivered+lost != lines {
		t.Fatalf("delivered %d + lost %d (in %d reports) != %d", delivered, lost, truncated, lines)
	}
	if evs[len(evs)-1].Kind != event.RunExited {
		t.Fatal("run.exited is not the last event")
	}
	if s.Dropped() < lost {
		t.Fatalf("Dropped() = %d < %d", s.Dropped(), lost)
	}
}

func TestLimitQueues(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{MaxProcesses: 1})
	spec := Spec{Spec: helper(mark, "sleep"), Ready: Readiness{Mode: ReadyLine, Line: "ready"}}
	a, _ := s.Start(spec)
	b, err := s.Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "b queued", stateIs(b.ID(), StateQueued))
	ev := rec.waitFor(t, "c queued", stateIs(c.ID(), StateQueued))
	if string(ev.Data) != `{"position":2,"state":"queued"}` {
		t.Fatalf("c queued: %s", ev.Data)
	}
	rec.waitFor(t, "a running", stateIs(a.ID(), StateRunning))
	if b.Info().State != StateQueued {
		t.Fatal("b left the queue while a runs")
	}
	// Stopping a queued process removes it; c moves up.
	b.Stop()
	if r := b.Wait(); r.Reason != ReasonKilled || r.Attempts != 0 {
		t.Fatalf("b %+v", r)
	}
	rec.waitFor(t, "c at 1", func(ev event.Event) bool {
		return stateIs(c.ID(), StateQueued)(ev) && string(ev.Data) == `{"position":1,"state":"queued"}`
	})
	a.Stop()
	a.Wait()
	rec.waitFor(t, "c running", stateIs(c.ID(), StateRunning))
	c.Stop()
	c.Wait()
}

func TestLimitRejects(t *testing.T) {
	s, _, mark := newTestSupervisor(t, Config{MaxProcesses: 3, MaxPerKind: map[string]int{"capability": 1}, WhenFull: Reject})
	spec := Spec{Spec: helper(mark, "sleep"), Owner: Owner{Kind: "capability", ID: "git"}}
	a, err := s.Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Start(spec)
	var lr *LimitReached
	if !errors.As(err, &lr) || lr.Limit != "kind:capability" || lr.Max != 1 {
		t.Fatalf("err %v; want the per-kind limit", err)
	}
	other := spec
	other.Owner = Owner{Kind: "session", ID: "s"}
	b, err1 := s.Start(other)
	c, err2 := s.Start(other)
	_, err = s.Start(other)
	if err1 != nil || err2 != nil || !errors.As(err, &lr) || lr.Limit != "global" || lr.Max != 3 {
		t.Fatalf("errs %v %v %v; want the global limit", err1, err2, err)
	}
	for _, p := range []*Process{a, b, c} {
		p.Kill()
		p.Wait()
	}
	// Freed slots admit again.
	d, err := s.Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	d.Kill()
	d.Wait()

	q, _, mark := newTestSupervisor(t, Config{MaxProcesses: 1, MaxQueue: 1})
	e, _ := q.Start(Spec{Spec: helper(mark, "sleep")})
	f, err := q.Start(Spec{Spec: helper(mark, "sleep")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Start(Spec{Spec: helper(mark, "sleep")}); !errors.As(err, &lr) || lr.Limit != "queue" {
		t.Fatalf("err %v; want the queue limit", err)
	}
	e.Kill()
	f.Kill()
	e.Wait()
	f.Wait()
}

func TestShutdownStopsEverything(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{MaxProcesses: 3})
	var ps []*Process
	for _, mode := range []string{"sleep", "ignore-term", "sleep", "sleep"} {
		p, err := s.Start(Spec{Spec: helper(mark, mode), StopGrace: 200 * time.Millisecond, Ready: Readiness{Mode: ReadyLine, Line: "ready"}})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps[:3] {
		rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Shutdown delivered every event before returning.
	for _, p := range ps {
		if r := p.Wait(); r.Reason != ReasonKilled {
			t.Fatalf("%s: %+v", p.ID(), r)
		}
		if n := count(rec.all(), p.ID(), event.RunExited); n != 1 {
			t.Fatalf("%d run.exited", n)
		}
	}
	if _, err := s.Start(Spec{Spec: helper(mark, "sleep")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Shutdown: %v", err)
	}
}

func TestDaemonDefaultsToOnFailure(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk})
	conv, _ := s.Start(Spec{Spec: helper(mark, "exit", "1")})
	if r := conv.Wait(); r.State != StateExited || r.Attempts != 1 {
		t.Fatalf("conversation %+v", r)
	}
	if len(s.List()) != 0 {
		t.Fatal("a process that is over is still listed")
	}
	d, _ := s.Start(Spec{Spec: helper(mark, "exit", "1"), Daemon: true})
	rec.waitFor(t, "daemon backoff", stateIs(d.ID(), StateBackoff))
	d.Stop()
	if r := d.Wait(); r.Reason != ReasonKilled || r.Attempts != 1 {
		t.Fatalf("daemon %+v", r)
	}
}
