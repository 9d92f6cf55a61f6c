package api

import (
	"context"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/supervise"
)

// BusSource adapts the event bus (replay from the store, then live) to the
// transport's EventSource.
type BusSource struct{ Bus *bus.Bus }

// Subscribe subscribes to the bus from since, for one session or all.
func (b BusSource) Subscribe(ctx context.Context, since int64, sessionID string) (Subscription, error) {
	s, err := b.Bus.Subscribe(ctx, since, bus.Filter{SessionID: sessionID})
	if err != nil {
		return nil, err
	}
	return busSub{s}, nil
}

type busSub struct{ s *bus.Subscription }

func (b busSub) Events() <-chan []event.Event { return b.s.C }
func (b busSub) Err() error                   { return b.s.Err() }
func (b busSub) Close()                       { b.s.Close() }

// ProcessService is the Processes backend over the policy and the
// supervisor: every command is checked by the policy first, runs under its
// limits, and spawned processes are supervised (their output reaches the
// event stream through the supervisor's sink).
type ProcessService struct {
	Policy     *policy.Policy
	Supervisor *supervise.Supervisor
}

// OwnerKind is the supervisor owner kind of processes started through the API.
const OwnerKind = "capability"

// Capabilities lists the configured commands (agents excluded).
func (s ProcessService) Capabilities(ctx context.Context) ([]Capability, error) {
	var out []Capability
	for _, c := range s.Policy.ListCapabilities() {
		if c.Kind == "agent" {
			continue
		}
		cp := Capability{Name: c.Name, Program: c.Program, Args: []CapabilityArg{}, Cwd: c.CwdRoots}
		if !c.Available {
			cp.Description = "unavailable: " + c.Reason
		}
		for _, a := range c.Args {
			cp.Args = append(cp.Args, CapabilityArg{Literal: a.Fixed, Validator: a.Pattern, Optional: a.Optional, Rest: a.Rest})
		}
		out = append(out, cp)
	}
	return out, nil
}

func (s ProcessService) check(capName string, args []string, cwd string, timeout time.Duration) (policy.Resolved, func(), error) {
	if strings.HasPrefix(capName, policy.AgentPrefix) {
		return policy.Resolved{}, nil, Errorf(CodePolicyDenied, "agents run through sessions, not as capabilities")
	}
	res, err := s.Policy.Check(policy.Request{Capability: capName, Args: args, Cwd: cwd, Timeout: timeout,
		Owner: policy.GrantOwner("api")})
	if err != nil {
		return res, nil, err
	}
	release, err := s.Policy.Acquire(capName)
	if err != nil {
		return res, nil, err
	}
	return res, release, nil
}

// Execute runs one command to completion with its capped output.
func (s ProcessService) Execute(ctx context.Context, p ExecuteParams) (ExecuteResult, error) {
	res, release, err := s.check(p.Capability, orEmpty(p.Args), p.Cwd, time.Duration(p.TimeoutMs)*time.Millisecond)
	if err != nil {
		return ExecuteResult{}, err
	}
	defer release()
	if res.Limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, res.Limits.Timeout)
		defer cancel()
	}
	opts := proc.ExecOptions{MaxStdout: int(res.Limits.MaxStreamOutput), MaxStderr: int(res.Limits.MaxStreamOutput)}
	if p.Stdin != "" {
		opts.Stdin = []byte(p.Stdin)
	}
	r, err := proc.Execute(ctx, proc.Spec{Program: res.Program, Args: res.Args, Dir: res.Dir, Env: res.Env,
		MaxLine: int(res.Limits.MaxLine)}, opts)
	if err != nil {
		return ExecuteResult{}, err
	}
	out := ExecuteResult{Code: r.ShellCode(), Truncated: r.Truncated}
	out.Stdout, out.StdoutBase64 = outputText(r.Stdout)
	out.Stderr, out.StderrBase64 = outputText(r.Stderr)
	return out, nil
}

// outputText returns b as text and, when b is not valid UTF-8, its exact
// bytes in base64 (see ExecuteResult). The text replaces each invalid byte
// with U+FFFD, as a JSON encoder would.
func outputText(b []byte) (text, b64 string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	b64 = base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	sb.Grow(len(b) + 16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r) // utf8.RuneError for an invalid byte, with n == 1
		b = b[n:]
	}
	return sb.String(), b64
}

// Spawn starts a supervised command whose output arrives as events. The
// capability's limits bound it like a one-shot Execute: its timeouts, its
// line size, and its output caps, whose first byte past stops the process
// (run.exited reason output-limit, what was cut reported by
// output.truncated). It holds one of the capability's max_concurrent slots
// until its terminal event.
func (s ProcessService) Spawn(ctx context.Context, p SpawnParams) (SpawnResult, error) {
	res, release, err := s.check(p.Capability, orEmpty(p.Args), p.Cwd, 0)
	if err != nil {
		return SpawnResult{}, err
	}
	sp, err := s.Supervisor.Start(supervise.Spec{
		Spec:            proc.Spec{Program: res.Program, Args: res.Args, Dir: res.Dir, Env: res.Env, Stdin: proc.StdinPipe, MaxLine: int(res.Limits.MaxLine)},
		Owner:           supervise.Owner{Kind: OwnerKind, ID: p.Capability},
		Name:            p.Capability,
		Ready:           supervise.Readiness{Mode: supervise.ReadyOnStart},
		Timeout:         res.Limits.Timeout,
		IdleTimeout:     res.Limits.IdleTimeout,
		MaxOutput:       res.Limits.MaxOutput,
		MaxStreamOutput: res.Limits.MaxStreamOutput,
	})
	if err != nil {
		release()
		return SpawnResult{}, err
	}
	go func() { <-sp.Done(); release() }()
	return SpawnResult{ProcessID: sp.ID()}, nil
}

// get returns a process started through the API; agent processes belong
// to their sessions and are not reachable here.
func (s ProcessService) get(id string) (*supervise.Process, error) {
	p, ok := s.Supervisor.Get(id)
	if !ok || p.Spec().Owner.Kind != OwnerKind {
		return nil, Errorf(CodeNotFound, "no process %q started through the API", id)
	}
	return p, nil
}

// WriteStdin writes to a spawned process's stdin.
func (s ProcessService) WriteStdin(ctx context.Context, id string, data []byte) error {
	p, err := s.get(id)
	if err != nil {
		return err
	}
	if _, err := p.Write(data); err != nil {
		return Errorf(CodeConflict, "cannot write to %s: %v", id, err)
	}
	return nil
}

// CloseStdin closes a spawned process's stdin.
func (s ProcessService) CloseStdin(ctx context.Context, id string) error {
	p, err := s.get(id)
	if err != nil {
		return err
	}
	if err := p.CloseStdin(); err != nil {
		return Errorf(CodeConflict, "cannot close the stdin of %s: %v", id, err)
	}
	return nil
}

// Kill kills a spawned process's tree at once.
func (s ProcessService) Kill(ctx context.Context, id string) error {
	p, err := s.get(id)
	if err != nil {
		return err
	}
	p.Kill()
	return nil
}

// Stop stops a spawned process gracefully.
func (s ProcessService) Stop(ctx context.Context, id string) error {
	p, err := s.get(id)
	if err != nil {
		return err
	}
	p.Stop()
	return nil
}

// List lists every supervised process (agents and spawned commands).
func (s ProcessService) List(ctx context.Context) ([]ProcessInfo, error) {
	var out []ProcessInfo
	for _, in := range s.Supervisor.List() {
		pi := ProcessInfo{ProcessID: in.ID, PID: in.Pid, Name: in.Name, Argv: in.Command, State: string(in.State),
			UptimeMs: in.Uptime.Milliseconds(), CPU: in.Stats.CPUPercent, RSS: int64(in.Stats.RSS),
			Restarts: max(in.Attempts-1, 0), Children: max(in.Stats.Processes-1, 0)}
		if in.Owner.Kind == "session" {
			pi.SessionID = in.Owner.ID
		}
		if !in.Started.IsZero() {
			pi.StartedAt = in.Started.UTC().Format(time.RFC3339Nano)
		}
		out = append(out, pi)
	}
	return out, nil
}
