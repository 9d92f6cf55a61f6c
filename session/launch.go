package session

import (
	"errors"
	"fmt"
	"os"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

// start launches the session's agent process: the adapter describes
// it, the policy checks and resolves it (program, environment, cwd), the
// supervisor runs it. turn is the turn of a per-turn adapter. On the actor.
// A session whose agent Stop, Delete or Shutdown is ending gets
// ErrConflict: an agent started then would be one nobody stops.
func (m *Manager) start(l *live, turn *agent.Turn) error {
	if l.proc != nil {
		return nil
	}
	if l.stopping {
		return fmt.Errorf("%w: session %s is stopping", ErrConflict, l.id)
	}
	_, cfg, err := m.adapterFor(l.agentName)
	if err != nil {
		return err
	}
	if err := checkAgentOptions(l.agentName, cfg, l.opts.Model, l.opts.PermissionMode); err != nil {
		m.appendError(l, "", "policy_denied", err.Error(), "check the [agents] section of the configuration")
		return err
	}
	opts := l.opts
	opts.Env = policy.AgentEnv(cfg, os.Environ())
	l.protocol, l.env = cfg.Protocol, opts.Env
	spec, err := l.adapter.Launch(opts, turn)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	res, err := m.settings.get().policy.Check(policy.Request{Capability: policy.AgentPrefix + l.agentName, Args: spec.Args, Cwd: spec.Dir,
		Owner: policy.SessionOwner(l.id)})
	if err != nil {
		m.appendError(l, "", "policy_denied", err.Error(), "check the [agents] section of the configuration")
		return err
	}
	w := &stdinWriter{}
	conn := l.adapter.NewConn(opts, w, agent.ConnConfig{Now: m.o.Now, Turn: turn})
	procRun := newID("p-")
	stdin := proc.StdinNone
	if spec.Stdin {
		stdin = proc.StdinPipe
	}
	sspec := supervise.Spec{
		Spec: proc.Spec{Program: res.Program, Args: res.Args, Dir: res.Dir, Env: spec.Env, Stdin: stdin,
			MaxLine: int(res.Limits.MaxLine)},
		Owner:     supervise.Owner{Kind: "session", ID: l.id},
		Name:      l.agentName,
		SessionID: l.id, RunID: procRun,
		Ready:     supervise.Readiness{Mode: supervise.ReadyOnStart},
		StopGrace: m.o.StopGrace,
		// Output is decoded on the reading goroutine and the decoded
		// events go to the session's actor (see tap); the adapter's
		// events keep the raw line.
		Tap:            m.tap(l, conn),
		NoOutputEvents: true,
	}
	if l.adapter.PerTurn() {
		// The process is the turn: the total timeout bounds a turn. A
		// persistent agent lives as long as its session (idle cleanup
		// bounds it instead).
		sspec.Timeout = res.Limits.Timeout
	}
	// The idle timeout bounds a turn, not the process: a persistent agent
	// is silent between turns by design, so the supervisor's own idle
	// timeout (which counts from the last output of the whole process)
	// does not fit; the manager checks it per turn (checkTurnIdle).
	l.turnIdle = res.Limits.IdleTimeout
	if err := m.o.Recorder.QueueCreateRun(store.Run{ID: procRun, SessionID: l.id, Command: res.Program}); err != nil {
		return err
	}
	// The process's events (its state, its run.exited) reach the actor as
	// messages, so they are handled after this function has set l.proc.
	p, err := m.o.Launcher.Start(sspec)
	if err != nil {
		m.record("finish a run that did not start", l.id, m.o.Recorder.QueueFinishRun(procRun, store.RunEnd{Reason: "spawn-failed"}))
		var lim *supervise.LimitReached
		if errors.As(err, &lim) {
			return fmt.Errorf("%w: %v", ErrLimit, err)
		}
		return fmt.Errorf("%w: %v", ErrSpawn, err)
	}
	w.mu.Lock()
	w.p = p
	w.mu.Unlock()
	l.conn, l.proc, l.procRun, l.stdin = conn, p, procRun, w
	if err := conn.Start(); err != nil {
		m.log.Warn("agent handshake failed", "session", l.id, "err", err)
	}
	return nil
}

// tap decodes one output line of the agent into events and posts them to
// the session's actor, with the time the line was read. It runs on the
// process's output readers, which take turns (proc.Sink calls are never
// concurrent and come in order), so Decode is called one line at a time,
// in order, as agent.Conn requires. It waits only when the actor is far
// behind (see the back-pressure note in actor.go).
func (m *Manager) tap(l *live, conn agent.Conn) proc.Sink {
	return func(o proc.Output) {
		st := agent.Stdout
		if o.Stream == proc.Stderr {
			st = agent.Stderr
		}
		at := m.o.Now()
		conn.Decode(st, o.Bytes, func(ev event.Event) { m.postEvent(l, agentEventMsg{ev: ev, at: at}) })
	}
}
