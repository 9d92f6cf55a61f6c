package supervise

import (
	"os"
	"slices"
	"strings"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// This file is one run of the child, in three steps: start it (spawn and
// record it), watch it (readiness, timeouts, requests: readiness.go and
// stopping.go) and take it back once it was reaped. What happens next is
// the loop's decision (loop.go).

// run is one start of the child, from its spawn to its reaping. It is
// owned by the process's loop goroutine.
type run struct {
	p     *Process
	a     *attempt
	cp    *proc.Process
	n     int // the attempt number
	pid   int
	group string // the tree's cgroup, "" without
	entry Entry  // as recorded in the ledger and by the watchdog
	out   outcome
	grace time.Duration
	// started is when this run started, first when the first run did
	// (the total Timeout counts from it).
	started, first time.Time

	// readyCh is the attempt's readiness predicate, nil once ready.
	readyCh                              <-chan struct{}
	readyT, startT, idleT, totalT, killT Timer
	stopping                             bool
}

// runOnce starts the child once and watches it until it is reaped.
func (p *Process) runOnce() outcome {
	r, stopReq, killReq, err := p.startRun()
	if err != nil {
		return outcome{spawnErr: err}
	}
	r.record()
	defer r.unrecord()
	defer r.stopTimers()
	r.arm(stopReq, killReq)
	return r.watch()
}

// startRun counts the attempt and spawns the child. On success the child
// is the process's current one, and stopReq and killReq say whether a stop
// was asked for while it was being started.
func (p *Process) startRun() (r *run, stopReq, killReq bool, err error) {
	s := p.s
	p.mu.Lock()
	p.attempts++
	n := p.attempts
	p.mu.Unlock()
	p.setState(StateStarting, map[string]any{"attempt": n})

	spec := p.spec.Spec
	spec.Env = append(slices.Clip(spec.Env), s.marker+"="+s.token+"/"+p.id)
	a := &attempt{p: p, readyCh: make(chan struct{})}
	s.spawnMu.RLock()
	defer s.spawnMu.RUnlock()
	intended := false
	cp, group, warn, err := s.spawn(spec, p.id, n, a.onOutput, func(group string) {
		intended = p.recordIntent(group)
	})
	if warn != nil {
		s.emit(p, event.ErrorKind, map[string]any{"message": warn.Error()})
	}
	if err != nil {
		if intended {
			s.cfg.Ledger.Remove(p.id)
		}
		return nil, false, false, err
	}
	pid := cp.Pid()
	st, _ := startTime(pid)
	now := s.clock.Now()
	p.mu.Lock()
	p.cur, p.pid, p.startTime, p.started, p.group = cp, pid, st, now, group
	close(p.curReady)
	if p.first.IsZero() {
		p.first = now
	}
	first := p.first
	stopReq, killReq = p.stopReq, p.killReq
	p.mu.Unlock()
	a.lastOut.Store(now.UnixNano())

	grace := p.spec.StopGrace
	if grace <= 0 {
		grace = DefaultStopGrace
	}
	r = &run{
		p: p, a: a, cp: cp, n: n, pid: pid, group: group, grace: grace, readyCh: a.readyCh,
		started: now, first: first,
		entry: Entry{
			ID: p.id, Pid: pid, Pgid: pid, StartTime: st, Owner: p.spec.Owner.String(),
			Command: strings.Join(append([]string{p.spec.Program}, p.spec.Args...), " "),
			Marker:  s.marker + "=" + s.token + "/" + p.id, Supervisor: os.Getpid(), SupervisorStart: s.selfStart, Added: time.Now(),
			Cgroup: group,
		},
	}
	return r, stopReq, killReq, nil
}

// recordIntent puts the tree about to start in the ledger before its
// process exists: its cgroup and marker, no pid yet. A corral killed
// (with its watchdog) between the start and record would otherwise leave
// a tree no later sweep knows of. It reports whether the entry was
// written.
func (p *Process) recordIntent(group string) bool {
	s := p.s
	if s.cfg.Ledger == nil {
		return false
	}
	e := Entry{ID: p.id, Owner: p.spec.Owner.String(),
		Command: strings.Join(append([]string{p.spec.Program}, p.spec.Args...), " "),
		Marker:  s.marker + "=" + s.token + "/" + p.id, Supervisor: os.Getpid(), SupervisorStart: s.selfStart,
		Added: time.Now(), Cgroup: group}
	if err := s.cfg.Ledger.Add(e); err != nil {
		s.emit(p, event.ErrorKind, map[string]any{"message": "cannot record the process in the ledger: " + err.Error()})
		return false
	}
	return true
}

// record tells the watchdog and the ledger about the run's group (the
// ledger's entry of recordIntent gets its pid). Failures are reported as
// error events: the run goes on.
func (r *run) record() {
	s, p := r.p.s, r.p
	if s.watchdog != nil {
		if err := s.watchdog.Add(r.entry); err != nil {
			s.emit(p, event.ErrorKind, map[string]any{"message": err.Error()})
		}
	}
	if s.cfg.Ledger != nil {
		if err := s.cfg.Ledger.Add(r.entry); err != nil {
			s.emit(p, event.ErrorKind, map[string]any{"message": "cannot record the process in the ledger: " + err.Error()})
		}
	}
}

// unrecord forgets the run's group, after it was reaped and its cgroup
// removed.
func (r *run) unrecord() {
	s := r.p.s
	if s.cfg.Ledger != nil {
		s.cfg.Ledger.Remove(r.p.id)
	}
	if s.watchdog != nil {
		s.watchdog.Remove(r.entry)
	}
}

// never is the channel of a timer that is not set.
var never = make(chan time.Time)

func timerC(t Timer) <-chan time.Time {
	if t == nil {
		return never
	}
	return t.C()
}

func stopTimer(t *Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

func (r *run) stopTimers() {
	for _, t := range []*Timer{&r.readyT, &r.startT, &r.idleT, &r.totalT, &r.killT} {
		stopTimer(t)
	}
}

// watch waits for the child to be reaped, acting on readiness, timers and
// requests meanwhile, and returns how the run ended.
func (r *run) watch() outcome {
	p, s := r.p, r.p.s
	for {
		select {
		case <-r.cp.Done():
			r.reaped()
			return r.out
		case <-r.readyCh:
			r.markRunning()
		case <-timerC(r.readyT):
			r.readyT = nil
			r.markRunning()
		case <-timerC(r.startT):
			r.startT = nil
			if !r.out.ready {
				// Not ready in time: kill, and count it as a failure (not
				// requested, so the restart policy still decides).
				r.beginStop(ReasonTimeout, "start", false, true)
			}
		case <-timerC(r.idleT):
			r.idleT = nil
			idle := s.clock.Now().Sub(time.Unix(0, r.a.lastOut.Load()))
			if idle >= p.spec.IdleTimeout {
				r.beginStop(ReasonIdleTimeout, "idle", true, false)
			} else {
				r.idleT = s.clock.NewTimer(p.spec.IdleTimeout - idle)
			}
		case <-timerC(r.totalT):
			r.totalT = nil
			r.beginStop(ReasonTimeout, "total", true, false)
		case <-timerC(r.killT):
			r.killT = nil
			r.cp.Kill()
		case <-p.wake:
			r.onRequest()
		}
	}
}

// reaped takes the run back once the child was reaped: its status, the
// output cap it may have reached, its cgroup removed, and no current child.
func (r *run) reaped() {
	p, s := r.p, r.p.s
	st, _ := r.cp.Wait()
	r.out.status = st
	// Every output was delivered before Done, so capLimit is final. A
	// child that reached a cap and then ended before the stop reached it
	// still ends for the cap: its output is cut.
	if p.capLimit != "" && r.out.reason == "" {
		r.out.reason, r.out.limit, r.out.requested = ReasonOutputLimit, p.capLimit, true
	}
	// proc killed the group when the leader ended; the group is removed
	// before the ledger entry that records it.
	if err := removeTreeGroup(r.group); err != nil {
		s.emit(p, event.ErrorKind, map[string]any{"message": "cannot remove the cgroup of the process: " + err.Error()})
	}
	p.mu.Lock()
	p.cur = nil
	p.group = ""
	p.curReady = make(chan struct{})
	p.mu.Unlock()
	s.reaper.ended(r.pid)
}
