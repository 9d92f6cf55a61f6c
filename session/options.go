package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// OptionChange is the result of SetModel and SetPermissionMode, and the
// Data of the session.options event that records the change in the
// session's history.
type OptionChange struct {
	// Option is "model" or "permissionMode"; Value the new value ("" is
	// the agent's default) and Previous the one before.
	Option   string `json:"option"`
	Value    string `json:"value"`
	Previous string `json:"previous,omitempty"`
	// Applies says when the agent takes it: "live" (at once, in the
	// running process), "next_turn" (with the next turn, same process) or
	// "next_start" (when the agent process starts again: no process runs,
	// or the protocol cannot change it in place).
	Applies agent.Switch `json:"applies"`
}

// Option names of an OptionChange.
const (
	OptionModel          = "model"
	OptionPermissionMode = "permissionMode"
)

// SetModel changes the model of session id: the running agent switches
// where its protocol allows it (see OptionChange.Applies), and every later
// start of the agent uses it. The change is recorded as a session.options
// event. Errors: ErrNotFound, ErrConflict (terminated), ErrInvalid (not a
// plain model name).
func (m *Manager) SetModel(ctx context.Context, id, model string) (OptionChange, error) {
	return m.setOption(id, OptionModel, model)
}

// SetPermissionMode changes the permission mode of session id like
// SetModel; a mode that skips approvals needs the agent's
// allow_unsafe_modes (*policy.Denied otherwise).
func (m *Manager) SetPermissionMode(ctx context.Context, id, mode string) (OptionChange, error) {
	return m.setOption(id, OptionPermissionMode, mode)
}

func (m *Manager) setOption(id, option, value string) (OptionChange, error) {
	l, _, err := m.ensureLive(id)
	if err != nil {
		return OptionChange{}, err
	}
	return call(m, l, func() (OptionChange, error) {
		if l.status == Terminated {
			return OptionChange{}, fmt.Errorf("%w: session %s is terminated", ErrConflict, id)
		}
		model, mode := l.opts.Model, l.opts.PermissionMode
		ch := OptionChange{Option: option, Value: value, Previous: model}
		if option == OptionModel {
			model = value
		} else {
			mode, ch.Previous = value, l.opts.PermissionMode
		}
		if err := m.checkOptions(l.agentName, model, mode); err != nil {
			return OptionChange{}, err
		}
		ch.Applies = m.applyOption(l, option, value)
		l.opts.Model, l.opts.PermissionMode = model, mode
		m.record("store the session's "+option, id, m.o.Recorder.QueueUpdateSession(id, func(s *store.Session) error {
			s.Model, s.PermissionMode = model, mode
			return nil
		}))
		ev := event.New(event.SessionOptions, ch)
		ev.SessionID, ev.Time = id, m.o.Now()
		m.append(ev)
		return ch, nil
	})
}

// applyOption hands the change to the running agent when its Conn can
// take it, and says when it applies. On the actor.
func (m *Manager) applyOption(l *live, option, value string) agent.Switch {
	setter, ok := l.conn.(agent.OptionSetter)
	if l.proc == nil || isDone(l.proc) || !ok {
		return agent.SwitchNextStart
	}
	var err error
	if option == OptionModel {
		err = setter.SetModel(value)
	} else {
		err = setter.SetPermissionMode(value)
	}
	if err != nil {
		if !errors.Is(err, agent.ErrUnsupported) {
			m.log.Warn("the agent did not take the change; it applies on its next start", "session", l.id, "option", option, "err", err)
		}
		return agent.SwitchNextStart
	}
	_, cfg, _ := m.adapterFor(l.agentName)
	entry, _ := agent.Lookup(cfg.Protocol)
	sw := entry.ModelSwitch
	if option == OptionPermissionMode {
		sw = entry.ModeSwitch
	}
	if sw == agent.SwitchNone {
		sw = agent.SwitchLive
	}
	return sw
}
