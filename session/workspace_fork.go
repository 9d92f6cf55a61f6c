package session

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/workspace"
)

// forkMeta is the fork a forked session's agent has not made yet: until the
// agent announces the new conversation's id, every launch resumes Source
// with the fork flags (so the source conversation is never continued in
// place).
type forkMeta struct {
	Source string `json:"source"`
	At     string `json:"at,omitempty"`
}

// canFork reports whether the agent's adapter forks conversations.
func (m *Manager) canFork(agentName string) bool {
	ad, _, err := m.adapterFor(agentName)
	if err != nil {
		return false
	}
	f, ok := ad.(agent.Forker)
	return ok && f.Forks()
}

// ForkSession starts a new session that continues session id's
// conversation as it was at the end of checkpoint seq's turn, in a new
// worktree holding the files as that checkpoint recorded them (on a new
// branch from the commit the source's branch was at then). An agent that
// cannot fork is ErrUnsupported (Info.CanFork, AgentInfo.CanFork say so
// beforehand); a session without a worktree is ErrNoWorkspace; one whose
// agent has not started a conversation yet is ErrConflict.
func (m *Manager) ForkSession(ctx context.Context, id string, seq int) (Info, error) {
	ctx = context.WithoutCancel(ctx)
	rec, err := m.o.Recorder.GetSession(id)
	if err != nil {
		return Info{}, notFound(id, err)
	}
	if !m.canFork(rec.Agent) {
		return Info{}, fmt.Errorf("%w: agent %q cannot fork a conversation", ErrUnsupported, rec.Agent)
	}
	wm, ws, err := m.workspaceOf(id)
	if err != nil {
		return Info{}, err
	}
	m.waitCheckpoint(ctx, id)
	cps, err := wm.ListCheckpoints(ctx, ws)
	if err != nil {
		return Info{}, err
	}
	var cp *workspace.Checkpoint
	for i := range cps {
		if cps[i].Seq == seq {
			cp = &cps[i]
		}
	}
	if cp == nil {
		return Info{}, fmt.Errorf("%w: checkpoint %d of session %s", workspace.ErrNotFound, seq, id)
	}
	conv := rec.AgentSessionID
	if l, ok := m.get(id); ok {
		if v, err := call(m, l, func() (string, error) { return l.opts.ResumeID, nil }); err == nil && v != "" {
			conv = v
		}
	}
	if conv == "" {
		return Info{}, fmt.Errorf("%w: session %s has no agent conversation to fork yet", ErrConflict, id)
	}
	o := CreateOptions{Agent: rec.Agent, Cwd: agentCwdIn(ws, rec.Cwd), Model: rec.Model, PermissionMode: rec.PermissionMode,
		Isolation: IsolationWorktree, BaseRef: cp.Commit + "^", fork: &forkSource{cp: *cp, title: rec.Title}}
	o.meta.ForkedFrom = id
	if cp.Turn == 0 {
		// Before the first turn there is no conversation to continue.
		return m.create(ctx, o, "", "")
	}
	at, err := m.turnEnd(id, cp.Turn)
	if err != nil {
		return Info{}, err
	}
	if at == "" && cp.Turn < lastTurn(cps) {
		return Info{}, fmt.Errorf("%w: the end of turn %d is not in session %s's log", ErrConflict, cp.Turn, id)
	}
	o.meta.Fork = &forkMeta{Source: conv, At: at}
	return m.create(ctx, o, conv, "")
}

// lastTurn is the highest turn of cps.
func lastTurn(cps []workspace.Checkpoint) int {
	n := 0
	for _, c := range cps {
		n = max(n, c.Turn)
	}
	return n
}

// forkSource is what a fork's worktree starts from.
type forkSource struct {
	cp    workspace.Checkpoint
	title string
}

// agentCwdIn maps the source session's cwd (in its worktree) to the same
// directory in the repository, which Create maps into the new worktree.
func agentCwdIn(ws workspace.Workspace, cwd string) string {
	return agentCwd(workspace.Workspace{Repo: ws.Path, Path: ws.Repo}, cwd)
}

// turnEnd is the agent's id of the last assistant message of turn n of
// session id (the n-th run.started), "" when the log has none (turn 0:
// the conversation before any turn of this session).
func (m *Manager) turnEnd(id string, n int) (string, error) {
	if n <= 0 {
		return "", nil
	}
	var last string
	turns, since := 0, int64(0)
	for {
		evs, err := m.o.Recorder.Events(id, since, 1000)
		if err != nil {
			return "", err
		}
		for _, ev := range evs {
			since = ev.Seq
			switch {
			case ev.Kind == event.RunStarted:
				turns++
				if turns > n {
					return last, nil
				}
			case turns == n && len(ev.Raw) > 0:
				var msg struct {
					Type string `json:"type"`
					UUID string `json:"uuid"`
				}
				if json.Unmarshal(ev.Raw, &msg) == nil && msg.Type == "assistant" && msg.UUID != "" {
					last = msg.UUID
				}
			}
		}
		if len(evs) < 1000 {
			return last, nil
		}
	}
}
