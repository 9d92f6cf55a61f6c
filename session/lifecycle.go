package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/corral-dev/corral/store"
)

// Create records a new session and starts its agent (persistent agents
// start at once, so a missing CLI is reported here; per-turn agents start
// with each message). With a prompt, the first turn is sent.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (Info, error) {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	if _, _, err := m.adapterFor(o.Agent); err != nil {
		return Info{}, err
	}
	if !filepath.IsAbs(o.Cwd) {
		return Info{}, fmt.Errorf("%w: cwd %q must be an absolute path", ErrInvalid, o.Cwd)
	}
	if st, err := os.Stat(o.Cwd); err != nil || !st.IsDir() {
		return Info{}, fmt.Errorf("%w: cwd %q is not an existing directory", ErrInvalid, o.Cwd)
	}
	return m.create(ctx, o, "", "")
}

func (m *Manager) create(ctx context.Context, o CreateOptions, resumeID, resumedFrom string) (Info, error) {
	if err := m.checkOptions(o.Agent, o.Model, o.PermissionMode); err != nil {
		return Info{}, err
	}
	if b := o.Budget; b != nil && ((b.USD != nil && *b.USD < 0) || (b.Tokens != nil && *b.Tokens < 0)) {
		return Info{}, fmt.Errorf("%w: a budget must not be negative", ErrInvalid)
	}
	id := newID("s-")
	ws, cwd, err := m.prepareWorkspace(ctx, id, o)
	if err != nil {
		return Info{}, err
	}
	now := m.o.Now()
	rec := store.Session{ID: id, Agent: o.Agent, Cwd: cwd, Model: o.Model, PermissionMode: o.PermissionMode,
		AgentSessionID: resumeID, Status: string(Active), CreatedAt: now, UpdatedAt: now, LastActivity: now,
		Title: autoTitleOf(o.Prompt, o.Cwd)}
	meta := o.meta
	meta.ResumedFrom, meta.Workspace = resumedFrom, ws
	if resumedFrom != "" || ws != nil || meta.ForkedFrom != "" {
		rec.Meta, _ = json.Marshal(meta)
	}
	rec, err = m.o.Recorder.CreateSession(ctx, rec)
	if err != nil {
		m.dropWorkspace(ctx, o, ws)
		return Info{}, err
	}
	if o.Budget != nil {
		if err := m.o.Recorder.SetSessionBudget(ctx, rec.ID, *o.Budget); err != nil {
			return Info{}, err
		}
	}
	m.flushSetup(id)
	l, _, err := m.ensureLive(rec.ID)
	if err != nil {
		return Info{}, err
	}
	if !l.adapter.PerTurn() {
		if err := do(m, l, func() error { return m.start(l, nil) }); err != nil {
			// Nothing ran: the session would only be a dead entry in the list.
			if derr := m.Delete(ctx, rec.ID); derr != nil {
				m.log.Warn("cannot remove a session whose agent did not start", "session", rec.ID, "err", derr)
			}
			return Info{}, err
		}
	}
	if o.Prompt != "" {
		m.awaitReplyTitle(l, o.Prompt, o.Cwd)
		if _, err := m.Send(ctx, rec.ID, o.Prompt); err != nil {
			return m.info(rec), err
		}
	}
	return m.Get(ctx, rec.ID)
}

// stopProcess stops the agent and waits for it to be reaped (or ctx). It
// waits outside the actor, which handles the agent's last events meanwhile.
func (m *Manager) stopProcess(ctx context.Context, l *live) error {
	p, err := call(m, l, func() (Proc, error) {
		l.stopping = true
		return l.proc, nil
	})
	if err != nil || p == nil {
		return err
	}
	p.Stop()
	select {
	case <-p.Done():
		return nil
	case <-ctx.Done():
		p.Kill()
		return ctx.Err()
	}
}

// Stop ends a session for good: its agent is stopped, a running turn ends
// as killed, pending requests expire, the status becomes terminated.
func (m *Manager) Stop(ctx context.Context, id string) error {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	l, _, err := m.ensureLive(id)
	if err != nil {
		return err
	}
	if err := m.stopProcess(ctx, l); err != nil {
		return err
	}
	return do(m, l, func() error {
		stopLeftover(l)
		l.proc, l.conn, l.retiring = nil, nil, false
		m.applyTurn(l, inUserStop{})
		l.stopping = false
		return nil
	})
}

// Resume makes a session usable again. A session that is not terminated
// gets its agent process back (resuming the agent's own conversation) and
// leaves error/interrupted for idle. A terminated session is final: Resume
// creates a new session continuing the same agent conversation.
func (m *Manager) Resume(ctx context.Context, id string) (Info, error) {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	l, rec, err := m.ensureLive(id)
	if err != nil {
		return Info{}, err
	}
	// resumeID is the agent's conversation as the session knows it: the
	// store's record follows it through the queue and may lag.
	var resumeID string
	terminated, err := call(m, l, func() (bool, error) {
		if l.status == Terminated {
			resumeID = l.opts.ResumeID
			return true, nil
		}
		if !l.adapter.PerTurn() {
			if err := m.start(l, nil); err != nil {
				return false, err
			}
		}
		if (l.status == Error || l.status == Interrupted) && l.turn == "" {
			m.setStatus(l, Idle, "resumed")
		}
		return false, nil
	})
	if err != nil {
		return Info{}, err
	}
	if terminated {
		meta := readMeta(rec.Meta)
		o := CreateOptions{Agent: rec.Agent, Cwd: rec.Cwd, Model: rec.Model, PermissionMode: rec.PermissionMode, Isolation: IsolationNone}
		if meta.Workspace != nil {
			if m.wsRemoved(id, meta) {
				return Info{}, fmt.Errorf("%w: the workspace of session %s was removed", ErrConflict, id)
			}
			// The new session continues in the same worktree.
			o.workspace, o.meta.Changes = meta.Workspace, meta.Changes
		}
		return m.create(ctx, o, resumeID, id)
	}
	return m.Get(ctx, id)
}

// Delete stops a session's agent and deletes the session with its events,
// runs and permission records. From its start the session is gone for
// every other call (ErrNotFound; a call already on the session's actor
// that would start a turn or an agent gets ErrConflict), so nothing new
// starts in a session being deleted.
//
// A session with a worktree is deleted with it only when the worktree holds
// nothing that would be lost: otherwise Delete refuses, before stopping
// anything, with the *workspace.UnsavedWorkError that lists the work
// (commit, merge or RemoveWorkspace with force first). The branch stays;
// the checkpoints go. A worktree another session continues in (a resumed
// session) stays.
func (m *Manager) Delete(ctx context.Context, id string) error {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	gone := fmt.Errorf("session %q: %w", id, ErrNotFound)
	if _, err := m.o.Recorder.GetSession(id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return gone
		}
		return err
	}
	ws, err := m.deletePlan(ctx, id)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.deleting[id] {
		m.mu.Unlock()
		return gone // another Delete is deleting it
	}
	m.deleting[id] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.deleting, id)
		m.deletions++
		m.mu.Unlock()
	}()
	if l, ok := m.get(id); ok {
		if err := m.stopProcess(ctx, l); err != nil {
			return err
		}
		// The actor ends for good: a call that still holds l gets
		// ErrNotFound.
		err := do(m, l, func() error {
			stopLeftover(l)
			m.releaseBusy(l)
			l.perms.drain()
			m.disarm(l)
			l.mb.end(l, gone)
			return nil
		})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		m.mu.Lock()
		delete(m.live, id)
		m.mu.Unlock()
	}
	if err := m.removeOnDelete(ctx, id, ws); err != nil {
		return err
	}
	if err := m.o.Recorder.DeleteSession(ctx, id); err != nil {
		return err
	}
	m.removeSessionAttachments(id)
	m.cmdSeen.Delete(id)
	return nil
}

// stopLeftover stops the session's agent process if one still runs after
// stopProcess (on the actor): the session lets go of it, and a process
// it no longer knows would run on unowned.
func stopLeftover(l *live) {
	if l.proc != nil && !isDone(l.proc) {
		l.proc.Stop()
	}
}
