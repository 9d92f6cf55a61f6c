package session

import (
	"context"
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
		CanFork:          m.canFork(rec.Agent),
		Pinned:           rec.Pinned, Archived: rec.Archived, Project: projectOf(rec.Cwd),
		Imported: importedOf(rec.Meta), Runner: rec.Runner,
	}
	if len(rec.Meta) > 0 {
		meta := readMeta(rec.Meta)
		in.Workspace = workspaceInfo(meta, meta.Workspace != nil && m.wsRemoved(rec.ID, meta))
		if in.Workspace != nil {
			// A worktree's project is its repository, not the worktree.
			in.Project = in.Workspace.Repo
		}
	}
	if l, ok := m.get(rec.ID); ok {
		// The live session is the truth about its state (its record
		// follows through the store's queue): read what its actor last
		// published, without a round trip to it.
		if v := l.view.Load(); v != nil {
			in.Status, in.PendingPermissions, in.RunID = v.status, v.pending, v.run
			if v.resumeID != "" {
				in.AgentSessionID = v.resumeID
			}
			if v.proc != nil {
				in.Process = liveProcess(v.proc.Info())
			}
		}
	}
	return in
}

// List returns every session, most recently active first: the store's
// records (which the store caches between commits) with the live state of
// each session over them.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	recs, err := m.o.Recorder.ListSessions(0)
	if err != nil {
		return nil, err
	}
	counts, err := m.o.Recorder.EventCounts()
	if err != nil {
		return nil, err
	}
	out := make([]Info, len(recs))
	for i, r := range recs {
		out[i] = m.info(r)
		out[i].EventCount = counts[r.ID]
	}
	return out, nil
}

// Get returns one session.
func (m *Manager) Get(ctx context.Context, id string) (Info, error) {
	rec, err := m.o.Recorder.GetSession(id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Info{}, fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return Info{}, err
	}
	in := m.info(rec)
	if st, err := m.o.Recorder.StreamStats(id); err == nil {
		in.EventCount = st.Events
	}
	return in, nil
}

// Events returns up to limit events of a session with Seq > since.
func (m *Manager) Events(ctx context.Context, id string, since int64, limit int) ([]event.Event, bool, error) {
	if _, err := m.o.Recorder.GetSession(id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return nil, false, err
	}
	evs, err := m.o.Recorder.Events(id, since, limit+1)
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
	l := m.o.Launcher.List()
	sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	return l
}
