//go:build unix

package supervise

import (
	"syscall"
	"testing"
	"time"
)

func TestStopKillsAChildIgnoringTermAfterTheGrace(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk})
	p, err := s.Start(Spec{Spec: helper(mark, "ignore-term"), Ready: Readiness{Mode: ReadyLine, Line: "ready"}, StopGrace: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
	pid := p.Info().Pid
	p.Stop()
	rec.waitFor(t, "stopping", stateIs(p.ID(), StateStopping))
	clk.waitTimer(t, 3*time.Second)
	// SIGTERM was sent before the grace timer was armed; the child ignores
	// it and must still be alive.
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("the child died before the grace ended")
	}
	select {
	case <-p.Done():
		t.Fatal("the process ended before the grace ended")
	default:
	}
	clk.Advance(3 * time.Second)
	r := p.Wait()
	if r.Reason != ReasonKilled || r.State != StateExited || r.Exit.Signal != int(syscall.SIGKILL) {
		t.Fatalf("result %+v; want killed by SIGKILL", r)
	}
	if r.ShellCode() != 137 {
		t.Fatalf("shell code %d", r.ShellCode())
	}
}

func TestKillAllIsImmediate(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk})
	p, _ := s.Start(Spec{Spec: helper(mark, "ignore-term"), Ready: Readiness{Mode: ReadyLine, Line: "ready"}})
	q, _ := s.Start(Spec{Spec: helper(mark, "exit", "1"), Restart: RestartPolicy{Mode: RestartAlways}})
	rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
	rec.waitFor(t, "backoff", stateIs(q.ID(), StateBackoff))
	// No clock advance: the kill must not wait for any grace or backoff.
	s.KillAll()
	if r := p.Wait(); r.Exit.Signal != int(syscall.SIGKILL) || r.Reason != ReasonKilled {
		t.Fatalf("p %+v", r)
	}
	if r := q.Wait(); r.Reason != ReasonKilled || r.Attempts != 1 {
		t.Fatalf("q %+v", r)
	}
}

func TestHandleSignalsStopsThenKills(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{})
	p, _ := s.Start(Spec{Spec: helper(mark, "ignore-term"), Ready: Readiness{Mode: ReadyLine, Line: "ready"}, StopGrace: time.Hour})
	rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
	ctx, stop := s.HandleSignals(t.Context(), time.Hour, syscall.SIGUSR1)
	defer stop()
	syscall.Kill(syscall.Getpid(), syscall.SIGUSR1)
	<-ctx.Done()
	// The first signal began the graceful stop; the child ignores SIGTERM
	// and the grace is an hour, so only the second signal can end it.
	rec.waitFor(t, "stopping", stateIs(p.ID(), StateStopping))
	syscall.Kill(syscall.Getpid(), syscall.SIGUSR1)
	if r := p.Wait(); r.Exit.Signal != int(syscall.SIGKILL) || r.Reason != ReasonKilled {
		t.Fatalf("result %+v", r)
	}
	stop()
	if _, err := s.Start(Spec{Spec: helper(mark, "sleep")}); err != ErrClosed {
		t.Fatalf("Start after the signal: %v", err)
	}
}
