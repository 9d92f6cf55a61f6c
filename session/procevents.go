package session

import (
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/supervise"
)

// HandleProcessEvent is the supervisor's Sink: it keeps resource samples
// (stats.go) and hands every other process event of a session to that
// session's actor, which persists it in order with the session's own
// events and reacts to it (onProcessEvent). Events of no live session are
// persisted here. It is called from one goroutine and never waits for an
// actor.
func (m *Manager) HandleProcessEvent(ev event.Event) {
	if ev.Kind == event.ProcessStats {
		m.stats.record(ev)
		if !overLimit(ev) {
			return // a sample, not history: see stats.go
		}
	}
	if ev.Kind == event.RunExited {
		m.stats.end(ev.ProcessID, ev.Time)
	}
	if ev.SessionID != "" {
		if l, ok := m.get(ev.SessionID); ok && m.post(l, procEventMsg{ev: ev}) == nil {
			return
		}
	}
	m.append(ev)
}

// onProcessEvent persists a process event of the session and reacts to it
// (on the actor).
func (m *Manager) onProcessEvent(l *live, ev event.Event) {
	m.append(ev)
	switch ev.Kind {
	case event.ProcessState:
		m.processState(l, ev)
	case event.RunExited:
		m.processExited(l, ev)
	}
}

// current reports whether processID is the session's current process.
func (l *live) current(processID string) bool {
	return l.proc != nil && l.proc.ID() == processID
}

// processState lets the stdin of an agent that now runs write what it held.
func (m *Manager) processState(l *live, ev event.Event) {
	st, err := payload[struct {
		State string `json:"state"`
	}](ev)
	if err != nil {
		m.log.Warn("cannot read a process state", "process", ev.ProcessID, "err", err)
		return
	}
	if st.State == string(supervise.StateRunning) && l.current(ev.ProcessID) && l.stdin != nil {
		l.stdin.markRunning()
	}
}

// processExited feeds the end of a session's current agent process to the
// turn state machine.
func (m *Manager) processExited(l *live, ev event.Event) {
	if !l.current(ev.ProcessID) {
		return
	}
	r, err := payload[supervise.Result](ev)
	if err != nil {
		// The process is gone all the same; its turn ends as crashed.
		m.log.Warn("cannot read a process result", "process", ev.ProcessID, "err", err)
		r = supervise.Result{Reason: supervise.ReasonCrashed}
	}
	l.proc, l.conn, l.retiring = nil, nil, false
	m.applyTurn(l, inProcessExited{Result: r})
}
