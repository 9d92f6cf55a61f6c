package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/workspace"
)

// Options configure a Manager.
type Options struct {
	// Recorder is the durable log and record keeper (required): the store,
	// which publishes after commit. See Recorder for which writes wait.
	Recorder Recorder
	// Launcher starts and stops agent processes (required): the
	// supervisor, whose Sink must call Manager.HandleProcessEvent.
	Launcher Launcher
	// Policy checks every agent launch (program resolution, environment,
	// working directory) (required).
	Policy PolicyChecker
	// Agents are the configured agents by name (config's [agents]); the
	// built-in names (claude, codex, gemini) work without configuration.
	Agents map[string]config.Agent
	// Adapters by protocol name; nil means the built-in adapters.
	Adapters map[string]agent.Adapter
	// PermissionTimeout denies a permission request nobody answered in
	// time (default 10 min; negative: never).
	PermissionTimeout time.Duration
	// IdleTimeout stops the agent process of a session that has been idle
	// that long (default config.DefaultIdleTimeout, 5 min; negative:
	// never). The session stays and its next message resumes the agent.
	IdleTimeout time.Duration
	// MaxIdleAgents caps the live agent processes of idle sessions; the
	// least recently active stop first (default
	// config.DefaultMaxIdleAgents; negative: no cap).
	MaxIdleAgents int
	// Budget are the configured caps ([budget]).
	Budget config.Budget
	// StopGrace is the agent's stop grace (default supervise's).
	StopGrace time.Duration
	// Attachments are where the files attached to messages go and their
	// limits (attach.go); zero: messages cannot carry files.
	Attachments AttachmentOptions
	// Now and AfterFunc are the clock; tests inject theirs.
	Now       func() time.Time
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	Logger    *slog.Logger
	// Workspaces makes the worktrees of isolated sessions (nil: sessions
	// run without; isolation "worktree" is then refused). Isolation is
	// the default isolation ("worktree" or "none"; "" is "worktree") and
	// Setup maps a repository's path to the capability run as its setup
	// command (config's [sessions]).
	Workspaces *workspace.Manager
	Isolation  string
	Setup      map[string]string
}

// Manager runs sessions: it launches agent processes through the policy
// and the supervisor, feeds their output through the agent adapter into the
// store (which publishes after commit), drives the status state machine,
// brokers permission requests, and cleans up idle processes. All methods
// are safe for concurrent use.
//
// Methods that change state ignore the cancellation of their context (a
// client that disconnects mid-call must not leave a session half-changed);
// they still see its values.
type Manager struct {
	o   Options
	log *slog.Logger

	// mu guards the manager's own maps and flags, never a session's state
	// (each live session's actor owns that: see actor.go).
	mu     sync.Mutex
	live   map[string]*live // sessions that have or had a process since start-up
	closed bool
	// deleting holds the sessions Delete is deleting (until the store's
	// DeleteSession returns); deletions counts the deletes that ended, so
	// ensureLive can tell that its read of the store may be stale.
	deleting  map[string]bool
	deletions uint64
	// actors counts the running session actors, settling the turns whose
	// store outcome is being settled (storefail.go); Shutdown waits for
	// both.
	actors   sync.WaitGroup
	settling sync.WaitGroup

	janitorStop chan struct{}
	janitorDone chan struct{}

	// settings are what ReloadConfig changes; read them through get.
	settings settingsBox
	// stats are the processes' resource samples (not stored as events).
	stats statsRing
	// cmdSeen holds, by session, the slash commands last kept (commands.go).
	cmdSeen sync.Map
	// views counts the changes of the live sessions' published views;
	// list is the last session list ListJSON made (see views.go).
	views atomic.Uint64
	list  atomic.Pointer[encodedList]
	// wss is the state of the sessions' worktrees (workspace.go).
	wss wsRuntime
}

// live is the in-memory part of a session: its process and protocol state.
// id, agentName and adapter never change once it is made; every other
// field below mb belongs to the session's actor (actor.go) and is read and
// written only on the actor's goroutine.
type live struct {
	id        string
	agentName string
	adapter   agent.Adapter

	mb mailbox
	// view is what queries read of the session's live state, published
	// by its actor (see views.go).
	view atomic.Pointer[liveView]

	opts    agent.SessionOptions
	conn    agent.Conn
	proc    Proc
	procRun string
	stdin   *stdinWriter
	turn    string // the running turn's run id, "" when none
	status  Status
	// perms are the pending permission requests; permStop holds the
	// expiry timer of each, by the agent's request id.
	perms        broker
	permStop     map[string]armed
	permGen      uint64 // numbers the expiry timers
	interrupting bool
	stopping     bool
	lastActivity time.Time // of the agent's last output, or the last turn's start
	// turnIdle is the policy's idle timeout for the agent ([limits]
	// idle_timeout): a turn whose agent prints nothing for that long ends
	// with a typed error. 0: none. idleStop cancels the running turn's
	// check; retiring is set while an agent stopped by that check exits.
	turnIdle time.Duration
	idleStop func() bool
	retiring bool
	// tools are the running turn's tool calls without a result yet: a
	// command may run for long without output, which is not a stall.
	tools map[string]bool
	// newAgentID is a per-turn agent's session id announced by the running
	// turn, adopted only when the turn succeeds (see onAgentEvent).
	newAgentID string
	// replyTitle is the directory-name title a session got for a generic
	// first message; the agent's first reply names it instead (title.go).
	replyTitle string
	// lostAtStart is the store's count of the session's lost events when
	// the running turn started, lostSeen the highest count already
	// charged to a turn (see storefail.go).
	lostAtStart, lostSeen int64
	// protocol and env are those of the last launch, for the advice of an
	// agent_auth error (which credential the agent had).
	protocol string
	env      []string
	// ws is the session's worktree (nil: none); wsRelease ends its busy
	// mark while a turn runs.
	ws        *workspace.Workspace
	wsRelease func()
	// q is the session's message queue (queue.go).
	q msgQueue
	// acct is the usage and budget state (accounting.go).
	acct accounting
}

// armed is the expiry timer of one pending permission request.
type armed struct {
	stop func() bool
	gen  uint64
}

// NewManager returns a manager. Call Recover once before serving.
func NewManager(o Options) (*Manager, error) {
	if o.Recorder == nil || o.Launcher == nil || o.Policy == nil {
		return nil, errors.New("session: Options.Recorder, Launcher and Policy are required")
	}
	if o.Adapters == nil {
		o.Adapters = DefaultAdapters()
	}
	if o.PermissionTimeout == 0 {
		o.PermissionTimeout = 10 * time.Minute
	}
	o.IdleTimeout, o.MaxIdleAgents = idleDefaults(o.IdleTimeout, o.MaxIdleAgents)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AfterFunc == nil {
		o.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{o: o, log: o.Logger, live: map[string]*live{}, deleting: map[string]bool{}}
	m.settings.set(settings{agents: o.Agents, policy: o.Policy, idleTimeout: o.IdleTimeout, maxIdleAgents: o.MaxIdleAgents,
		isolation: o.Isolation, setup: o.Setup, budget: o.Budget})
	return m, nil
}

// Recover repairs what a previous run left open (sessions mid-turn become
// interrupted, open runs get their terminal event, pending permission
// requests expire), through the store. Call it once at start-up.
func (m *Manager) Recover(ctx context.Context) (store.Recovery, error) {
	return m.o.Recorder.Recover(ctx)
}

func (m *Manager) snapshot() []*live {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*live, 0, len(m.live))
	for _, l := range m.live {
		out = append(out, l)
	}
	return out
}

// Shutdown stops every agent process (through the supervisor), finishes
// open turns as killed, marks sessions that were mid-turn interrupted,
// ends every session's actor and waits until the store has committed
// everything. Calls on a session afterwards return ErrClosed.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	if m.janitorStop != nil {
		close(m.janitorStop)
		<-m.janitorDone
		m.janitorStop = nil
	}
	lives := m.snapshot()
	for _, l := range lives {
		// An error is a session deleted meanwhile: nothing to stop.
		do(m, l, func() error { l.stopping = true; return nil }) // error ignored: see above
	}
	err := m.o.Launcher.Shutdown(ctx)
	for _, l := range lives {
		do(m, l, func() error { // error ignored: as above
			m.applyTurn(l, inCorralStop{})
			m.disarm(l)
			l.mb.end(l, ErrClosed)
			return nil
		})
	}
	m.actors.Wait()
	m.wss.wg.Wait()
	if serr := m.o.Recorder.Sync(ctx); err == nil {
		err = serr
	}
	m.settling.Wait()
	return err
}

// disarm stops the session's timers (on its actor).
func (m *Manager) disarm(l *live) {
	for rid, a := range l.permStop {
		a.stop()
		delete(l.permStop, rid)
	}
	if l.idleStop != nil {
		l.idleStop()
		l.idleStop = nil
	}
}

func newID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("session: no randomness: " + err.Error())
	}
	return prefix + hex.EncodeToString(b)
}

func (m *Manager) get(id string) (*live, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.live[id]
	return l, ok
}

// ensureLive returns the live part of a stored session, creating it (with
// no process) for a session from an earlier run of corral. A session that
// Delete is deleting, or has deleted, is ErrNotFound: a live part made
// from a read of the store that a delete overtook is never kept.
func (m *Manager) ensureLive(id string) (*live, store.Session, error) {
	gone := fmt.Errorf("session %q: %w", id, ErrNotFound)
	for {
		m.mu.Lock()
		deleting, gen := m.deleting[id], m.deletions
		m.mu.Unlock()
		if deleting {
			return nil, store.Session{}, gone
		}
		rec, err := m.o.Recorder.GetSession(id)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, rec, gone
			}
			return nil, rec, err
		}
		l, retry, err := m.liveFor(id, rec, gen)
		if !retry {
			return l, rec, err
		}
	}
}

// liveFor is ensureLive's second half, under m.mu: retry says a delete
// ended since the store was read (gen), so the read must be done again.
func (m *Manager) liveFor(id string, rec store.Session, gen uint64) (*live, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return nil, false, ErrClosed
	case m.deleting[id]:
		return nil, false, fmt.Errorf("session %q: %w", id, ErrNotFound)
	case m.deletions != gen:
		return nil, true, nil
	}
	if l, ok := m.live[id]; ok {
		return l, false, nil
	}
	ad, cfg, err := m.adapterFor(rec.Agent)
	if err != nil {
		return nil, false, err
	}
	l := &live{id: id, agentName: rec.Agent, adapter: ad, mb: newMailbox(&m.actors), status: Status(rec.Status),
		perms: newBroker(m.o.PermissionTimeout), permStop: map[string]armed{},
		opts: agent.SessionOptions{Program: cfg.Command, Args: cfg.Args, Cwd: rec.Cwd, Model: rec.Model,
			PermissionMode: rec.PermissionMode, ResumeID: rec.AgentSessionID},
		lastActivity: m.o.Now()}
	meta := readMeta(rec.Meta)
	if meta.Workspace != nil && !meta.WorkspaceRemoved {
		l.ws = meta.Workspace
	}
	if f := meta.Fork; f != nil && f.Source == l.opts.ResumeID {
		l.opts.Fork, l.opts.ForkAt = true, f.At
	}
	m.publishView(l)
	m.live[id] = l
	return l, false, nil
}
