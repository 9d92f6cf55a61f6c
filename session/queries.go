package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

func (m *Manager) info(rec store.Session) Info {
	in := Info{
		ID: rec.ID, Agent: rec.Agent, Cwd: rec.Cwd, Model: rec.Model, PermissionMode: rec.PermissionMode,
		Status: Status(rec.Status), Title: rec.Title, CreatedAt: rec.CreatedAt, LastActivity: rec.LastActivity,
		CostUSD: rec.Usage.CostUSD, InputTokens: rec.Usage.InputTokens, OutputTokens: rec.Usage.OutputTokens,
		Messages: rec.Messages, AgentSessionID: rec.AgentSessionID,
		ApprovalsSkipped: m.skipsApprovals(rec.Agent, rec.PermissionMode),
	}
	if l, ok := m.get(rec.ID); ok {
		l.mu.Lock()
		in.PendingPermissions = len(l.pending)
		in.RunID = l.turn
		p := l.proc
		l.mu.Unlock()
		if p != nil {
			in.Process = liveProcess(p.Info())
		}
	}
	return in
}

// List returns every session, most recently active first.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	l, _, err := m.listCached(ctx, false)
	return l, err
}

// ListJSON is List with the list's JSON encoding, which is cached with it:
// a UI polling ListSessions many times a second costs neither a database
// read nor an encoding per call.
func (m *Manager) ListJSON(ctx context.Context) ([]Info, []byte, error) {
	return m.listCached(ctx, true)
}

func (m *Manager) listCached(ctx context.Context, withJSON bool) ([]Info, []byte, error) {
	v, now := m.version.Load(), m.o.Now()
	m.listMu.Lock()
	if m.list != nil && m.listV == v && now.Sub(m.listAt) < ListCacheTTL && !now.Before(m.listAt) {
		out := append([]Info(nil), m.list...)
		if withJSON && m.listRaw == nil {
			m.listRaw, _ = json.Marshal(out)
		}
		raw := m.listRaw
		m.listMu.Unlock()
		return out, raw, nil
	}
	m.listMu.Unlock()
	recs, err := m.o.Store.ListSessions(0)
	if err != nil {
		return nil, nil, err
	}
	counts, err := m.o.Store.EventCounts()
	if err != nil {
		return nil, nil, err
	}
	out := make([]Info, len(recs))
	for i, r := range recs {
		out[i] = m.info(r)
		out[i].EventCount = counts[r.ID]
	}
	var raw []byte
	if withJSON {
		if raw, err = json.Marshal(out); err != nil {
			return nil, nil, err
		}
	}
	m.listMu.Lock()
	m.list, m.listRaw, m.listV, m.listAt = append([]Info(nil), out...), raw, v, now
	m.listMu.Unlock()
	return out, raw, nil
}

// Get returns one session.
func (m *Manager) Get(ctx context.Context, id string) (Info, error) {
	rec, err := m.o.Store.GetSession(id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Info{}, fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return Info{}, err
	}
	in := m.info(rec)
	if st, err := m.o.Store.StreamStats(id); err == nil {
		in.EventCount = st.Events
	}
	return in, nil
}

// Events returns up to limit events of a session with Seq > since.
func (m *Manager) Events(ctx context.Context, id string, since int64, limit int) ([]event.Event, bool, error) {
	if _, err := m.o.Store.GetSession(id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return nil, false, err
	}
	evs, err := m.o.Store.Events(id, since, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	return evs, more, nil
}

// LiveProcesses lists the supervisor's processes, for ListProcesses.
func (m *Manager) LiveProcesses() []supervise.Info {
	l := m.o.Supervisor.List()
	sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	return l
}
