package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// payload returns the typed Data of an event: the value the adapter
// encoded (event.Event.Payload) when it is a T, without decoding it again;
// otherwise (a JSON-lines program's own event) Data decoded: a field of
// another type is left empty, data that is not an object is an error.
func payload[T any](ev event.Event) (T, error) {
	switch p := ev.Payload.(type) {
	case T:
		return p, nil
	case *T:
		if p != nil {
			return *p, nil
		}
	}
	var d T
	err := json.Unmarshal(ev.Data, &d)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		// A field of another type than corral's (a JSON-lines program's
		// own shape): encoding/json has filled the fields it could, and
		// those are acted on; the event itself is stored as it came.
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("session: %s event with malformed data: %w", ev.Kind, err)
	}
	return d, nil
}

// onAgentEvent stamps, persists and acts on one decoded event whose line
// was read at at (on the actor).
func (m *Manager) onAgentEvent(l *live, ev event.Event, at time.Time) {
	if at.After(l.lastActivity) {
		l.lastActivity = at
	}
	ev.SessionID, ev.RunID = l.id, l.turn
	m.titleFromReply(l, ev)
	if l.proc != nil {
		ev.ProcessID = l.proc.ID()
	}
	if err := m.actOnAgentEvent(l, ev); err != nil {
		// The event is kept as it came; only the reaction to it is lost.
		m.log.Warn("cannot act on an agent event", "session", l.id, "kind", ev.Kind, "err", err)
		m.append(ev)
	}
}

// actOnAgentEvent appends ev and reacts to it; an error means ev's data
// could not be read and nothing was done (on the actor).
func (m *Manager) actOnAgentEvent(l *live, ev event.Event) error {
	switch ev.Kind {
	case event.PermissionRequest:
		d, err := payload[agent.PermissionRequestData](ev)
		if err != nil {
			return err
		}
		m.addPending(l, d, ev)
	case event.AgentInit:
		d, err := payload[agent.InitData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		if d.Model != "" {
			l.acct.model = d.Model
		}
		m.noteCommands(l, d.SlashCommands)
		m.applyTurn(l, inAgentInit{SessionID: d.SessionID})
	case event.Usage:
		d, err := payload[agent.UsageData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		m.onUsage(l, d)
	case event.RateLimits:
		d, err := payload[agent.RateLimitsData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		m.onRateLimits(l, d, ev.Time)
	case event.UsageProgress:
		d, err := payload[agent.UsageProgressData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		m.onUsageProgress(l, d)
	case event.TurnCompleted:
		d, err := payload[agent.TurnCompletedData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		m.applyTurn(l, inTurnCompleted{Data: d})
	case event.ToolCall:
		d, err := payload[agent.ToolCallData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		if d.ID != "" && l.turn != "" {
			if l.tools == nil {
				l.tools = map[string]bool{}
			}
			l.tools[d.ID] = true
		}
	case event.ToolResult:
		d, err := payload[agent.ToolResultData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		delete(l.tools, d.ID)
	case event.AgentCommands:
		d, err := payload[agent.CommandsData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		m.noteCommands(l, d.Names())
	case event.PermissionResolved:
		// The agent withdrew a request (the turn was interrupted).
		d, err := payload[agent.PermissionResolvedData](ev)
		if err != nil {
			return err
		}
		m.append(ev)
		if p, ok := l.perms.take(d.RequestID); ok {
			m.resolve(l, d.RequestID, p, store.Decision{Decision: store.PermissionDeny, By: "agent", Message: "withdrawn by the agent"})
		}
	default:
		m.append(ev)
	}
	return nil
}

// stateOf is what decideTurn needs of l (on the actor).
func (m *Manager) stateOf(l *live) turnState {
	return turnState{Status: l.status, Turn: l.turn, Interrupting: l.interrupting, Stopping: l.stopping,
		PerTurn: l.adapter.PerTurn(), ResumeID: l.opts.ResumeID, NewAgentID: l.newAgentID,
		Protocol: l.protocol, Env: l.env, Busy: l.perms.len() > 0 || len(l.tools) > 0,
		TurnIdle: l.turnIdle, LastActivity: l.lastActivity}
}

// applyTurn runs the turn state machine on one input and carries out
// its effects, in order (on the actor).
func (m *Manager) applyTurn(l *live, in turnInput) {
	run := l.turn
	s, effects := decideTurn(m.stateOf(l), in, m.o.Now())
	l.newAgentID = s.NewAgentID
	defer m.queueAfter(l, effects)
	for _, e := range effects {
		switch e := e.(type) {
		case efAppendError:
			m.appendError(l, l.turn, e.Type, e.Message, e.Action)
		case efEndTurn:
			m.finishTurn(l, e.Reason, e.Status, e.Why)
		case efSetStatus:
			m.setStatus(l, e.Status, e.Why)
		case efAdoptAgentID:
			m.adoptAgentID(l, e.ID)
		case efRetire:
			if l.proc != nil {
				l.retiring = true
				l.proc.Stop()
			}
		case efRearmIdle:
			m.armIdle(l, run, e.After)
		}
	}
}

// adoptAgentID records the agent's own id of the conversation, the
// one a resume passes back.
func (m *Manager) adoptAgentID(l *live, id string) {
	l.opts.ResumeID = id
	fork := l.opts.Fork
	l.opts.Fork, l.opts.ForkAt = false, "" // the fork is made: continue the new conversation
	m.record("record the agent session id", l.id, m.o.Recorder.QueueUpdateSession(l.id, func(s *store.Session) error {
		s.AgentSessionID = id
		if fork {
			return editMeta(s, func(meta *sessionMeta) { meta.Fork = nil })
		}
		return nil
	}))
}

// record logs a write that could not be queued (the store is closed or
// read-only; its own health reports say why).
func (m *Manager) record(what, session string, err error) {
	if err != nil {
		m.log.Warn("cannot "+what, "session", session, "err", err)
	}
}

func (m *Manager) append(evs ...event.Event) {
	for i := range evs {
		evs[i].Payload = nil // the typed value is for this process only
	}
	if err := m.o.Recorder.Append(evs...); err != nil {
		m.log.Error("cannot append events", "err", err)
	}
}

func (m *Manager) appendError(l *live, runID, typ, msg, action string) {
	ev := event.New(event.ErrorKind, map[string]any{"type": typ, "message": msg, "recoverable": true, "action": action})
	ev.SessionID, ev.RunID, ev.Time = l.id, runID, m.o.Now()
	m.append(ev)
}

// setStatus moves the session to st if that is a legal change. The
// session's status is l.status from here on; the store's record follows
// in queue order (and checks the change again in its transaction).
func (m *Manager) setStatus(l *live, st Status, reason string) {
	if l.status == st || !CanTransition(l.status, st) {
		return
	}
	// The view first: the store may commit the change and publish its
	// session.status event before this actor handles its next message,
	// and a reader reacting to that event must find the new status in
	// the view (Get, List), not the old one.
	prev := l.status
	l.status = st
	m.publishView(l)
	if err := m.o.Recorder.QueueSetStatus(l.id, string(st), reason); err != nil {
		m.log.Warn("cannot change session status", "session", l.id, "to", st, "err", err)
		l.status = prev
		m.publishView(l)
	}
}

// finishTurn gives the running turn its terminal event and the session
// its next status; pending permission requests of the turn expire.
func (m *Manager) finishTurn(l *live, reason string, st Status, why string) {
	if l.idleStop != nil {
		l.idleStop()
		l.idleStop = nil
	}
	clear(l.tools)
	for _, p := range l.perms.drain() {
		m.resolve(l, p.RID, p.pendingReq, store.Decision{Decision: store.PermissionExpired, By: "corral", Message: "the turn ended: " + reason})
	}
	if l.turn != "" {
		st, why = m.storeOutcome(l, st, why)
		end := store.RunEnd{Reason: reason}
		if reason == "exit" {
			zero := 0
			end.ExitCode = &zero
		}
		m.record("finish run", l.id, m.o.Recorder.QueueFinishRun(l.turn, end))
		m.settleTurn(l, l.turn)
		l.turn = ""
		m.setStatus(l, st, why)
	}
	m.afterTurn(l)
	l.interrupting = false
}
