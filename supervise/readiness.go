package supervise

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/corral-dev/corral/proc"
)

// This file is the starting → running transition: the readiness predicate
// seen on the output path, and the timers a run arms at its start.

// attempt is the per-run state shared with the output path.
type attempt struct {
	p       *Process
	readyCh chan struct{}
	once    sync.Once
	lastOut atomic.Int64 // clock time of the last output, UnixNano
}

func (a *attempt) markReady() { a.once.Do(func() { close(a.readyCh) }) }

// readyLine reports whether o, a stdout line, makes a process whose
// readiness is rd ready.
func readyLine(rd Readiness, o proc.Output) bool {
	if o.Stream != proc.Stdout || o.Continued {
		return false
	}
	switch rd.Mode {
	case ReadyJSON:
		return json.Valid(o.Bytes)
	case ReadyLine:
		return strings.HasPrefix(string(o.Bytes), rd.Line)
	}
	return false
}

// onOutput is the child's proc.Sink: it runs on the serialized output path
// (one call at a time, in order). It applies the output caps, hands the
// output to the Tap, queues its event and checks the readiness predicate.
func (a *attempt) onOutput(o proc.Output) {
	p := a.p
	o, ok := p.admitOutput(o)
	if !ok {
		return
	}
	if p.spec.Tap != nil {
		p.spec.Tap(o)
	}
	now := p.s.clock.Now()
	a.lastOut.Store(now.UnixNano())
	ready := readyLine(p.spec.Ready, o)
	if !p.spec.NoOutputEvents {
		p.s.disp.pushOutput(p, o, now)
	}
	// After the push: the line that made the process ready is an event
	// before its running state.
	if ready {
		a.markReady()
	}
}

// arm sets the run's readiness and limit timers, or begins the stop at once
// when one was asked for while the child was being started.
func (r *run) arm(stopReq, killReq bool) {
	p, s := r.p, r.p.s
	if stopReq || killReq {
		r.beginStop(ReasonKilled, "", true, killReq)
		return
	}
	switch p.spec.Ready.Mode {
	case ReadyOnStart:
		r.markRunning()
	case ReadyGrace:
		g := p.spec.Ready.Grace
		if g <= 0 {
			g = DefaultReadyGrace
		}
		r.readyT = s.clock.NewTimer(g)
	}
	if !r.out.ready {
		to := p.spec.StartTimeout
		if to <= 0 {
			to = DefaultStartTimeout
		}
		r.startT = s.clock.NewTimer(to)
	}
	if p.spec.IdleTimeout > 0 {
		r.idleT = s.clock.NewTimer(p.spec.IdleTimeout)
	}
	if p.spec.Timeout > 0 {
		r.totalT = s.clock.NewTimer(max(r.first.Add(p.spec.Timeout).Sub(r.started), 0))
	}
}

// markRunning is the starting → running transition, once per run.
func (r *run) markRunning() {
	if r.out.ready {
		return
	}
	r.out.ready = true
	r.readyCh = nil
	stopTimer(&r.readyT)
	stopTimer(&r.startT)
	p := r.p
	p.mu.Lock()
	if p.state == StateStarting {
		p.setStateLocked(StateRunning, map[string]any{"pid": r.pid, "attempt": r.n})
	}
	p.mu.Unlock()
}
