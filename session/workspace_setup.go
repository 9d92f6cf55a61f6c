package session

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/workspace"
)

// maxSetupOutput bounds the output of a setup command kept in its event.
const maxSetupOutput = 64 << 10

// setupFor returns the setup capability configured for repository repo
// (config's [sessions.setup], keyed by the repository's path), "" for none.
func setupFor(setup map[string]string, repo string) string {
	if len(setup) == 0 {
		return ""
	}
	if c, ok := setup[repo]; ok {
		return c
	}
	real, err := filepath.EvalSymlinks(repo)
	if err != nil {
		return ""
	}
	for k, c := range setup {
		if r, err := filepath.EvalSymlinks(k); err == nil && r == real {
			return c
		}
	}
	return ""
}

// fixedArgs returns the arguments of a setup capability, which must all be
// fixed (the setup command takes nothing from the caller).
func fixedArgs(pol PolicyChecker, name string) ([]string, error) {
	for _, c := range pol.ListCapabilities() {
		if c.Name != name || c.Kind == "agent" {
			continue
		}
		args := make([]string, 0, len(c.Args))
		for _, a := range c.Args {
			if a.Pattern != "" || a.Rest || a.Optional {
				return nil, fmt.Errorf("%w: the setup capability %q must have fixed arguments only", ErrInvalid, name)
			}
			args = append(args, a.Fixed)
		}
		return args, nil
	}
	return nil, fmt.Errorf("%w: the setup capability %q is not configured", ErrInvalid, name)
}

// setupResult is a setup command's outcome, kept until the session's
// record exists and its stream can carry the output.
type setupResult struct {
	Capability string `json:"capability"`
	ExitCode   int    `json:"exitCode"`
	Output     string `json:"output"`
	Truncated  bool   `json:"truncated,omitempty"`
}

// runSetup runs the repository's setup command in the new worktree of
// session id: the capability is checked by the policy (cwd: the worktree)
// and run with proc, the workspace's variables added (workspace.SetupEnv).
// A denial or a failure is the error (*SetupFailedError for a non-zero
// exit); the output of a success is appended to the session once it
// exists (flushSetup).
func (m *Manager) runSetup(ctx context.Context, id string, ws workspace.Workspace) error {
	name := setupFor(m.settings.get().setup, ws.Repo)
	if name == "" {
		return nil
	}
	pol := m.settings.get().policy
	args, err := fixedArgs(pol, name)
	if err != nil {
		return err
	}
	res, err := pol.Check(policy.Request{Capability: name, Args: args, Cwd: ws.Path, Owner: policy.SessionOwner(id)})
	if err != nil {
		return err
	}
	if res.Limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, res.Limits.Timeout)
		defer cancel()
	}
	env := append(append([]string{}, res.Env...), workspace.SetupEnv(ws)...)
	out, err := proc.Execute(ctx, proc.Spec{Program: res.Program, Args: res.Args, Dir: res.Dir, Env: env},
		proc.ExecOptions{MaxStdout: maxSetupOutput, MaxStderr: maxSetupOutput})
	if err != nil {
		return err
	}
	r := setupResult{Capability: name, ExitCode: out.Code, Output: string(out.Stdout) + string(out.Stderr), Truncated: out.Truncated}
	if out.Signaled() || out.TimedOut {
		r.ExitCode = -1
	}
	if r.ExitCode != 0 {
		return &SetupFailedError{Capability: name, ExitCode: r.ExitCode, Output: r.Output}
	}
	m.wss.mu.Lock()
	if m.wss.setup == nil {
		m.wss.setup = map[string]setupResult{}
	}
	m.wss.setup[id] = r
	m.wss.mu.Unlock()
	return nil
}

// flushSetup appends the setup output of new session id to its stream.
func (m *Manager) flushSetup(id string) {
	m.wss.mu.Lock()
	r, ok := m.wss.setup[id]
	delete(m.wss.setup, id)
	m.wss.mu.Unlock()
	if ok {
		ev := event.New(WorkspaceSetup, r)
		ev.SessionID, ev.Time = id, m.o.Now()
		m.append(ev)
	}
}
