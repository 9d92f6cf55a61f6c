package api

import (
	"context"

	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// SessionOptions changes a live session's model and permission mode and
// lists an agent's choices (*session.Manager implements it). The facade
// finds it on its Sessions; without it the methods fail with code
// internal ("not available").
type SessionOptions interface {
	SetModel(ctx context.Context, id, model string) (session.OptionChange, error)
	SetPermissionMode(ctx context.Context, id, mode string) (session.OptionChange, error)
	Models(agent string) (session.AgentModels, error)
}

// SessionFlags pins and archives sessions (*store.Store implements it; the
// facade finds it on its SessionTitles).
type SessionFlags interface {
	SetPinned(ctx context.Context, id string, pinned bool) (store.Session, error)
	SetArchived(ctx context.Context, id string, archived bool) (store.Session, error)
}

// ListModelsParams are the parameters of ListModels.
type ListModelsParams struct {
	Agent string `json:"agent"`
}

// SetModelParams are the parameters of SetModel.
type SetModelParams struct {
	SessionID string `json:"sessionId"`
	// Model is the model to use; "" returns to the agent's default.
	Model string `json:"model"`
}

// SetPermissionModeParams are the parameters of SetPermissionMode.
type SetPermissionModeParams struct {
	SessionID string `json:"sessionId"`
	// Mode is one of the agent's permission modes; "" is its default.
	Mode string `json:"mode"`
}

// PinSessionParams are the parameters of PinSession.
type PinSessionParams struct {
	SessionID string `json:"sessionId"`
	Pinned    bool   `json:"pinned"`
}

// ArchiveSessionParams are the parameters of ArchiveSession.
type ArchiveSessionParams struct {
	SessionID string `json:"sessionId"`
	Archived  bool   `json:"archived"`
}

func (a *API) options() (SessionOptions, error) {
	o, ok := a.sessions.(SessionOptions)
	if !ok {
		return nil, Errorf(CodeInternal, "changing a session's model or mode is not available in this build")
	}
	return o, nil
}

func (a *API) flags() (SessionFlags, error) {
	f, ok := a.titles.(SessionFlags)
	if !ok {
		return nil, Errorf(CodeInternal, "pinning and archiving sessions is not available in this build")
	}
	return f, nil
}

// ListModels returns the models, permission modes and plan mode an agent
// offers, when a change made mid-session takes effect, and what the agent
// cannot change.
func (a *API) ListModels(ctx context.Context, p ListModelsParams) (session.AgentModels, error) {
	if err := required("agent", p.Agent); err != nil {
		return session.AgentModels{}, err
	}
	o, err := a.options()
	if err != nil {
		return session.AgentModels{}, err
	}
	return o.Models(p.Agent)
}

// SetModel switches a session's model: at once where the agent's protocol
// allows it, else from its next turn or start (the result says which). The
// history records it as a session.options event.
func (a *API) SetModel(ctx context.Context, p SetModelParams) (session.OptionChange, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.OptionChange{}, err
	}
	o, err := a.options()
	if err != nil {
		return session.OptionChange{}, err
	}
	return o.SetModel(ctx, p.SessionID, p.Model)
}

// SetPermissionMode switches a session's permission mode like SetModel
// (plan mode is one of them: ListModels' planMode).
func (a *API) SetPermissionMode(ctx context.Context, p SetPermissionModeParams) (session.OptionChange, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.OptionChange{}, err
	}
	o, err := a.options()
	if err != nil {
		return session.OptionChange{}, err
	}
	return o.SetPermissionMode(ctx, p.SessionID, p.Mode)
}

// PinSession pins a session to the top of the list, or unpins it; every
// client sees it through a session.updated event.
func (a *API) PinSession(ctx context.Context, p PinSessionParams) (session.Info, error) {
	return a.setFlag(ctx, p.SessionID, func(f SessionFlags) error {
		_, err := f.SetPinned(ctx, p.SessionID, p.Pinned)
		return err
	})
}

// ArchiveSession archives a session (the list hides it unless asked) or
// brings it back; every client sees it through a session.updated event.
func (a *API) ArchiveSession(ctx context.Context, p ArchiveSessionParams) (session.Info, error) {
	return a.setFlag(ctx, p.SessionID, func(f SessionFlags) error {
		_, err := f.SetArchived(ctx, p.SessionID, p.Archived)
		return err
	})
}

func (a *API) setFlag(ctx context.Context, id string, set func(SessionFlags) error) (session.Info, error) {
	if err := required("sessionId", id); err != nil {
		return session.Info{}, err
	}
	f, err := a.flags()
	if err != nil {
		return session.Info{}, err
	}
	if err := set(f); err != nil {
		return session.Info{}, err
	}
	return a.sessions.Get(ctx, id)
}
