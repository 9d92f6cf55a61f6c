package session

import (
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/supervise"
)

// HandleProcessEvent is the supervisor's Sink: it persists process events
// (state, stats, truncation, the process's own run.exited) and reacts to
// the end of an agent process. It is called from one goroutine.
func (m *Manager) HandleProcessEvent(ev event.Event) {
	if ev.Kind == event.ProcessStats {
		m.stats.record(ev)
		if !overLimit(ev) {
			return // a sample, not history: see stats.go
		}
	}
	switch ev.Kind {
	case event.ProcessState:
		m.append(ev)
		m.processState(ev)
	case event.RunExited:
		m.append(ev)
		m.stats.end(ev.ProcessID, ev.Time)
		m.processExited(ev)
	default:
		m.append(ev)
	}
}

// processState lets the stdin of an agent that now runs write what it held.
func (m *Manager) processState(ev event.Event) {
	st, err := payload[struct {
		State string `json:"state"`
	}](ev)
	if err != nil {
		m.log.Warn("cannot read a process state", "process", ev.ProcessID, "err", err)
		return
	}
	if st.State != string(supervise.StateRunning) {
		return
	}
	m.mu.Lock()
	l := m.byProc[ev.ProcessID]
	m.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	w := l.stdin
	l.mu.Unlock()
	if w != nil {
		w.markRunning()
	}
}

// processExited feeds the end of a session's current agent process to the
// turn state machine.
func (m *Manager) processExited(ev event.Event) {
	m.mu.Lock()
	l, ok := m.byProc[ev.ProcessID]
	delete(m.byProc, ev.ProcessID)
	m.mu.Unlock()
	if !ok {
		return
	}
	r, err := payload[supervise.Result](ev)
	if err != nil {
		// The process is gone all the same; its turn ends as crashed.
		m.log.Warn("cannot read a process result", "process", ev.ProcessID, "err", err)
		r = supervise.Result{Reason: supervise.ReasonCrashed}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.proc == nil || l.proc.ID() != ev.ProcessID {
		return
	}
	l.proc, l.conn, l.retiring = nil, nil, false
	m.applyTurnLocked(l, inProcessExited{Result: r})
}
