package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/store"
)

// Importing conversations an agent CLI keeps in its own files (Claude
// Code's ~/.claude/projects, Codex's ~/.codex/sessions; agent/external.go
// reads them). ListExternalSessions lists them for a directory;
// ImportSession opens one as a corral session whose agent resumes it
// (Claude --resume <id>, Codex thread/resume), with the past messages in
// the session's history as events marked "imported": true.

// Imported is the "imported" member of a session record's meta, and
// Info.Imported.
type Imported struct {
	Agent      string `json:"agent"`
	ExternalID string `json:"externalId"`
	Path       string `json:"path"` // the file read
	Messages   int    `json:"messages"`
}

// ImportResult is the answer of ImportSession: the session, and whether
// it existed already (the conversation was imported before: nothing new
// was made).
type ImportResult struct {
	Session         Info `json:"session"`
	AlreadyImported bool `json:"alreadyImported,omitempty"`
}

// ErrNoImport is the cause of an ErrInvalid for an agent whose protocol
// keeps no conversations corral can import.
var ErrNoImport = agent.ErrNoImport

// importMu serializes imports, so that two imports of one conversation
// make one session.
var importMu sync.Mutex

// importEnv returns the protocol of agentName and the environment its CLI
// runs with (where it keeps its files), refusing agents without import.
func (m *Manager) importEnv(agentName string) (string, []string, error) {
	_, cfg, err := m.adapterFor(agentName)
	if err != nil {
		return "", nil, err
	}
	if !agent.CanImport(cfg.Protocol) {
		return "", nil, fmt.Errorf("%w: agent %q (protocol %s): %w; import works with Claude Code and Codex",
			ErrInvalid, agentName, cfg.Protocol, agent.ErrNoImport)
	}
	return cfg.Protocol, policy.AgentEnv(cfg, os.Environ()), nil
}

// ListExternalSessions lists the conversations agentName's CLI keeps for
// cwd (newest first, at most limit; <= 0: 50), read-only.
func (m *Manager) ListExternalSessions(ctx context.Context, agentName, cwd string, limit int) ([]agent.ExternalSession, error) {
	protocol, env, err := m.importEnv(agentName)
	if err != nil {
		return nil, err
	}
	list, err := agent.ListExternal(protocol, env, cwd, limit)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Agent = agentName
	}
	return list, nil
}

// ImportSession makes a corral session of the conversation externalID of
// agentName's CLI: its messages become the session's first events, and
// its agent resumes that conversation. A conversation imported before
// gives back the session made then (AlreadyImported). Errors: ErrInvalid
// for an unknown agent or one without import (errors.Is ErrNoImport) or a
// conversation whose directory is gone; ErrNotFound when no file holds it.
func (m *Manager) ImportSession(ctx context.Context, agentName, externalID string) (ImportResult, error) {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	protocol, env, err := m.importEnv(agentName)
	if err != nil {
		return ImportResult{}, err
	}
	importMu.Lock()
	defer importMu.Unlock()
	if id, ok, err := m.importedAs(agentName, externalID); err != nil || ok {
		if err != nil {
			return ImportResult{}, err
		}
		in, err := m.Get(ctx, id)
		return ImportResult{Session: in, AlreadyImported: true}, err
	}
	ext, msgs, err := agent.ReadExternal(protocol, env, externalID)
	if errors.Is(err, agent.ErrExternalNotFound) {
		return ImportResult{}, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	if err != nil {
		return ImportResult{}, err
	}
	if st, err := os.Stat(ext.Cwd); err != nil || !st.IsDir() {
		return ImportResult{}, fmt.Errorf("%w: the conversation's directory %q is not an existing directory", ErrInvalid, ext.Cwd)
	}
	in, err := m.createImported(ctx, agentName, ext, msgs)
	return ImportResult{Session: in}, err
}

// importedAs finds the session an earlier import made of the
// conversation.
func (m *Manager) importedAs(agentName, externalID string) (string, bool, error) {
	recs, err := m.o.Recorder.ListSessions(0)
	if err != nil {
		return "", false, err
	}
	for _, r := range recs {
		if im := importedOf(r.Meta); im != nil && im.Agent == agentName && im.ExternalID == externalID {
			return r.ID, true, nil
		}
	}
	return "", false, nil
}

// importedOf reads the "imported" member of a record's meta; nil when
// the session was not imported.
func importedOf(meta json.RawMessage) *Imported {
	if len(meta) == 0 {
		return nil
	}
	var v struct {
		Imported *Imported `json:"imported"`
	}
	if json.Unmarshal(meta, &v) != nil {
		return nil
	}
	return v.Imported
}

// createImported records the session, appends the imported messages as
// its first events and starts its agent on the conversation (as create
// does for a persistent agent).
func (m *Manager) createImported(ctx context.Context, agentName string, ext agent.ExternalSession, msgs []agent.ExternalMessage) (Info, error) {
	now := m.o.Now()
	users := 0
	for _, x := range msgs {
		if x.Role == agent.RoleUser {
			users++
		}
	}
	im := Imported{Agent: agentName, ExternalID: ext.ExternalID, Path: ext.Path, Messages: len(msgs)}
	meta, err := json.Marshal(map[string]any{"imported": im})
	if err != nil {
		return Info{}, err
	}
	rec := store.Session{ID: newID("s-"), Agent: agentName, Cwd: ext.Cwd, AgentSessionID: ext.ExternalID,
		Status: string(Active), CreatedAt: now, UpdatedAt: now, LastActivity: now, Title: autoTitleOf(ext.Title, ext.Cwd),
		Messages: int64(users), Meta: meta}
	rec, err = m.o.Recorder.CreateSession(ctx, rec)
	if err != nil {
		return Info{}, err
	}
	m.append(importedEvents(rec.ID, msgs, now)...)
	l, _, err := m.ensureLive(rec.ID)
	if err != nil {
		return Info{}, err
	}
	if !l.adapter.PerTurn() {
		if err := do(m, l, func() error { return m.start(l, nil) }); err != nil {
			if derr := m.Delete(ctx, rec.ID); derr != nil {
				m.log.Warn("cannot remove an imported session whose agent did not start", "session", rec.ID, "err", derr)
			}
			return Info{}, err
		}
	}
	return m.Get(ctx, rec.ID)
}

// importedEvents turns imported messages into the events a live session
// would have written for them, each marked "imported": true and dated
// when the CLI wrote it (else at): a user message is a run.started with
// its prompt (and no run), an assistant message a whole assistant.text, a
// tool call and its result tool.call and tool.result.
func importedEvents(sessionID string, msgs []agent.ExternalMessage, at time.Time) []event.Event {
	out := make([]event.Event, 0, len(msgs))
	for _, x := range msgs {
		var ev event.Event
		switch x.Role {
		case agent.RoleUser:
			ev = event.New(event.RunStarted, map[string]any{"prompt": x.Text, "imported": true})
		case agent.RoleAssistant:
			ev = event.New(event.AssistantText, map[string]any{"text": x.Text, "delta": false, "imported": true})
		case agent.RoleToolCall:
			d := map[string]any{"id": x.ToolID, "name": x.ToolName, "imported": true}
			if json.Valid(x.Input) {
				d["input"] = x.Input
			}
			ev = event.New(event.ToolCall, d)
		case agent.RoleToolResult:
			ev = event.New(event.ToolResult, map[string]any{"id": x.ToolID, "output": x.Text, "isError": x.IsError, "imported": true})
		default:
			continue
		}
		ev.SessionID, ev.Time = sessionID, x.Time
		if ev.Time.IsZero() {
			ev.Time = at
		}
		out = append(out, ev)
	}
	return out
}
