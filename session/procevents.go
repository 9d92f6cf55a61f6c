package session

import (
	"context"
	"encoding/json"
	"fmt"

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
	m.append(ev)
	if ev.Kind == event.ProcessState {
		var st struct {
			State string `json:"state"`
		}
		json.Unmarshal(ev.Data, &st) //nolint:errcheck // the supervisor made it
		if st.State == string(supervise.StateRunning) {
			m.mu.Lock()
			l := m.byProc[ev.ProcessID]
			m.mu.Unlock()
			if l != nil {
				l.mu.Lock()
				w := l.stdin
				l.mu.Unlock()
				if w != nil {
					w.markRunning()
				}
			}
		}
		return
	}
	if ev.Kind != event.RunExited {
		return
	}
	m.stats.end(ev.ProcessID)
	m.mu.Lock()
	l, ok := m.byProc[ev.ProcessID]
	delete(m.byProc, ev.ProcessID)
	m.mu.Unlock()
	if !ok {
		return
	}
	var r supervise.Result
	json.Unmarshal(ev.Data, &r) //nolint:errcheck // the supervisor made it
	ctx := context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.proc == nil || l.proc.ID() != ev.ProcessID {
		return
	}
	l.proc, l.conn, l.retiring = nil, nil, false
	switch {
	case l.stopping:
		// Stop/Delete/Shutdown finish the turn and the status.
	case r.Reason == supervise.ReasonSpawnFailed:
		m.appendError(l, l.turn, "spawn_failed", r.Error, "install the agent CLI or fix its command in the configuration")
		m.endTurnLocked(ctx, l, "spawn_failed", Error, r.Error)
		m.setStatusLocked(ctx, l, Error, r.Error)
	case l.interrupting:
		m.endTurnLocked(ctx, l, "interrupted", Interrupted, "interrupted by the user")
	case l.turn != "" && l.adapter.PerTurn():
		// A per-turn agent's turn ends with its process, unless the
		// adapter already ended it from the agent's own report.
		if r.Reason == supervise.ReasonExit && r.Code == 0 {
			m.endTurnLocked(ctx, l, "exit", Idle, "")
		} else {
			m.appendError(l, l.turn, "crashed", fmt.Sprintf("the agent failed (%s, code %d %s)", r.Reason, r.Code, r.SignalName), "check the agent's stderr above")
			m.endTurnLocked(ctx, l, "error", Error, "the agent process failed")
		}
	case l.turn != "":
		reason := r.Reason
		if reason == supervise.ReasonExit {
			reason = "crashed" // a persistent agent that exits mid-turn did not finish it
		}
		m.appendError(l, l.turn, "crashed", fmt.Sprintf("the agent exited during the turn (%s, code %d %s)", r.Reason, r.Code, r.SignalName), "send the message again to restart the agent")
		m.endTurnLocked(ctx, l, reason, Error, "the agent process ended during the turn")
	}
}
