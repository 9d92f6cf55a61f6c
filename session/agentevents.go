package session

import (
	"context"
	"encoding/json"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// onAgentEvent stamps, persists and acts on one decoded event.
func (m *Manager) onAgentEvent(l *live, ev event.Event) {
	ctx := context.Background()
	l.lastActivity.Store(m.o.Now().UnixNano())
	l.mu.Lock()
	defer l.mu.Unlock()
	ev.SessionID, ev.RunID = l.id, l.turn
	if l.proc != nil {
		ev.ProcessID = l.proc.ID()
	}
	switch ev.Kind {
	case event.PermissionRequest:
		var d agent.PermissionRequestData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.addPendingLocked(ctx, l, d, ev)
		return
	case event.AgentInit:
		var d agent.InitData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if d.SessionID != "" && d.SessionID != l.opts.ResumeID {
			if l.adapter.PerTurn() {
				// A per-turn agent (Gemini) names its conversation before
				// the model answers but saves it only when the turn gets
				// that far: after a failed first turn, resuming the id it
				// announced fails for good ("No previous sessions found").
				l.newAgentID = d.SessionID
				return
			}
			m.adoptAgentIDLocked(ctx, l, d.SessionID)
		}
		return
	case event.Usage:
		var d agent.UsageData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if err := m.o.Store.AddUsage(ctx, l.id, store.Usage{InputTokens: d.InputTokens, OutputTokens: d.OutputTokens,
			CacheReadTokens: d.CacheReadTokens, CacheWriteTokens: d.CacheWriteTokens, CostUSD: d.CostUSD}); err != nil {
			m.log.Warn("cannot add usage", "session", l.id, "err", err)
		}
		m.changed()
		return
	case event.TurnCompleted:
		var d agent.TurnCompletedData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if id := l.newAgentID; id != "" {
			l.newAgentID = ""
			if d.OK {
				m.adoptAgentIDLocked(ctx, l, id)
			}
		}
		switch {
		case d.OK:
			m.endTurnLocked(ctx, l, "exit", Idle, "")
		case l.interrupting || (d.Error != nil && d.Error.Code == agent.CodeInterrupted):
			m.endTurnLocked(ctx, l, "interrupted", Interrupted, "interrupted by the user")
		case d.Error != nil && d.Error.Code == agent.CodeAuth:
			// The one failure the user must fix outside corral: say how.
			advice := agent.AuthAdvice(l.protocol, l.env, d.Error.HTTPStatus)
			m.appendError(l, l.turn, ErrorAgentAuth, advice, "set the credential, then reload the configuration or restart corral")
			m.endTurnLocked(ctx, l, "error", Error, advice)
		default:
			msg := "the agent reported a failed turn"
			if d.Error != nil {
				msg = d.Error.Error()
			}
			m.endTurnLocked(ctx, l, "error", Error, msg)
		}
		return
	case event.ToolCall, event.ToolResult:
		var d struct {
			ID string `json:"id"`
		}
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		if d.ID != "" && l.turn != "" {
			if ev.Kind == event.ToolCall {
				if l.tools == nil {
					l.tools = map[string]bool{}
				}
				l.tools[d.ID] = true
			} else {
				delete(l.tools, d.ID)
			}
		}
	case event.PermissionResolved:
		// The agent withdrew a request (the turn was interrupted).
		var d agent.PermissionResolvedData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if p, ok := l.pending[d.RequestID]; ok {
			m.resolveLocked(ctx, l, d.RequestID, p, store.Decision{Decision: store.PermissionDeny, By: "agent", Message: "withdrawn by the agent"})
		}
		return
	}
	m.append(ev)
}

// adoptAgentIDLocked records the agent's own id of the conversation, the
// one a resume passes back.
func (m *Manager) adoptAgentIDLocked(ctx context.Context, l *live, id string) {
	l.opts.ResumeID = id
	if _, err := m.o.Store.UpdateSession(ctx, l.id, func(s *store.Session) error {
		s.AgentSessionID = id
		return nil
	}); err != nil {
		m.log.Warn("cannot record the agent session id", "session", l.id, "err", err)
	}
	m.changed()
}

func (m *Manager) append(evs ...event.Event) {
	if err := m.o.Store.Append(evs...); err != nil {
		m.log.Error("cannot append events", "err", err)
	}
}

func (m *Manager) appendError(l *live, runID, typ, msg, action string) {
	ev := event.New(event.ErrorKind, map[string]any{"type": typ, "message": msg, "recoverable": true, "action": action})
	ev.SessionID, ev.RunID, ev.Time = l.id, runID, m.o.Now()
	m.append(ev)
}

// setStatusLocked moves the session to st if that is a legal change.
func (m *Manager) setStatusLocked(ctx context.Context, l *live, st Status, reason string) {
	if l.status == st || !CanTransition(l.status, st) {
		return
	}
	rec, err := m.o.Store.SetStatus(ctx, l.id, string(st), reason)
	if keptByStore(err) {
		err, rec.Status = nil, "" // the store makes the change when it can write
	}
	if err != nil {
		m.log.Warn("cannot change session status", "session", l.id, "to", st, "err", err)
		if rec.Status != "" {
			l.status = Status(rec.Status)
		}
		return
	}
	l.status = st
	m.changed()
}

// endTurnLocked gives the running turn its terminal event and the session
// its next status; pending permission requests of the turn expire.
func (m *Manager) endTurnLocked(ctx context.Context, l *live, reason string, st Status, why string) {
	if l.idleStop != nil {
		l.idleStop()
		l.idleStop = nil
	}
	clear(l.tools)
	for rid, p := range l.pending {
		m.resolveLocked(ctx, l, rid, p, store.Decision{Decision: store.PermissionExpired, By: "corral", Message: "the turn ended: " + reason})
	}
	if l.turn != "" {
		st, why = m.storeOutcomeLocked(l, st, why)
		end := store.RunEnd{Reason: reason}
		if reason == "exit" {
			zero := 0
			end.ExitCode = &zero
		}
		if _, err := m.o.Store.FinishRun(ctx, l.turn, end); err != nil {
			m.log.Warn("cannot finish run", "session", l.id, "run", l.turn, "err", err)
		}
		l.turn = ""
		m.setStatusLocked(ctx, l, st, why)
	}
	l.interrupting = false
	m.changed()
}
