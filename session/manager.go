package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

// Options configure a Manager.
type Options struct {
	// Store is the durable log and record keeper (required). Every event
	// of a session is appended to it; it publishes after commit.
	Store *store.Store
	// Supervisor starts and stops agent processes (required). Its Sink
	// must call Manager.HandleProcessEvent.
	Supervisor *supervise.Supervisor
	// Policy checks every agent launch (program resolution, environment,
	// working directory) (required).
	Policy *policy.Policy
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
	// StopGrace is the agent's stop grace (default supervise's).
	StopGrace time.Duration
	// Now and AfterFunc are the clock; tests inject theirs.
	Now       func() time.Time
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	Logger    *slog.Logger
}

// DefaultAdapters returns the built-in adapters by protocol.
func DefaultAdapters() map[string]agent.Adapter {
	return map[string]agent.Adapter{
		"claude": agent.Claude{}, "codex": agent.Codex{}, "gemini": agent.Gemini{}, "acp": agent.ACP{},
		// A JSONL program speaks corral's events (turn.completed included)
		// and keeps running; a plain-text program runs once per turn, which
		// is the only way its turns can end.
		"jsonl": agent.Generic{JSONL: true}, "text": agent.Generic{PerTurnMode: true},
	}
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

	mu     sync.Mutex
	live   map[string]*live // sessions that have or had a process since start-up
	byProc map[string]*live // supervise process id → session
	closed bool

	janitorStop chan struct{}
	janitorDone chan struct{}

	// settings are what ReloadConfig changes; read them through get.
	settings settingsBox
	// stats are the processes' resource samples (not stored as events).
	stats statsRing

	// version counts the manager's changes to session records and live
	// state; List's cache is valid for one version and ListCacheTTL.
	version atomic.Uint64
	listMu  sync.Mutex
	listV   uint64
	listAt  time.Time
	list    []Info
	listRaw []byte // list as JSON, encoded on first use
}

// ListCacheTTL bounds how stale List may be about what changes without the
// manager's knowledge: last-activity times, which move with every event.
// Everything else (status, counters, pending requests) invalidates the
// cache at once. A UI polling ListSessions many times a second then costs
// one database read per TTL, not one per call.
const ListCacheTTL = 250 * time.Millisecond

func (m *Manager) changed() { m.version.Add(1) }

// live is the in-memory part of a session: its process and protocol state.
type live struct {
	id string

	mu           sync.Mutex
	agentName    string
	adapter      agent.Adapter
	opts         agent.SessionOptions
	conn         agent.Conn
	proc         *supervise.Process
	procRun      string
	stdin        *stdinWriter
	turn         string // the running turn's run id, "" when none
	status       Status
	pending      map[string]*pending // by the agent's request id
	interrupting bool
	stopping     bool
	lastActivity atomic.Int64 // unix ns
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
	// lostAtStart is the store's count of the session's lost events when
	// the running turn started (see storefail.go).
	lostAtStart int64
	// protocol and env are those of the last launch, for the advice of an
	// agent_auth error (which credential the agent had).
	protocol string
	env      []string
}

type pending struct {
	storeID string
	runID   string
	stop    func() bool
}

// NewManager returns a manager. Call Recover once before serving.
func NewManager(o Options) (*Manager, error) {
	if o.Store == nil || o.Supervisor == nil || o.Policy == nil {
		return nil, errors.New("session: Options.Store, Supervisor and Policy are required")
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
	m := &Manager{o: o, log: o.Logger, live: map[string]*live{}, byProc: map[string]*live{}}
	m.settings.set(settings{agents: o.Agents, policy: o.Policy, idleTimeout: o.IdleTimeout, maxIdleAgents: o.MaxIdleAgents})
	return m, nil
}

// Recover repairs what a previous run left open (sessions mid-turn become
// interrupted, open runs get their terminal event, pending permission
// requests expire), through the store. Call it once at start-up.
func (m *Manager) Recover(ctx context.Context) (store.Recovery, error) {
	return m.o.Store.Recover(ctx)
}

// StartJanitor starts idle cleanup: every tick, CleanupIdle stops the
// agent processes of sessions idle for longer than IdleTimeout and those
// beyond MaxIdleAgents. tick is the
// ticker channel (tests inject one); StopJanitor (or Shutdown) ends it.
func (m *Manager) StartJanitor(tick <-chan time.Time) {
	if m.janitorStop != nil {
		return
	}
	m.janitorStop, m.janitorDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.janitorDone)
		for {
			select {
			case <-m.janitorStop:
				return
			case <-tick:
				m.CleanupIdle()
			}
		}
	}()
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
// open turns as killed, marks sessions that were mid-turn interrupted and
// waits until the store has committed everything.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	if m.janitorStop != nil {
		close(m.janitorStop)
		<-m.janitorDone
		m.janitorStop = nil
	}
	for _, l := range m.snapshot() {
		l.mu.Lock()
		l.stopping = true
		l.mu.Unlock()
	}
	err := m.o.Supervisor.Shutdown(ctx)
	for _, l := range m.snapshot() {
		l.mu.Lock()
		m.endTurnLocked(ctx, l, "killed", Interrupted, "corral stopped")
		l.mu.Unlock()
	}
	if serr := m.o.Store.Sync(ctx); err == nil {
		err = serr
	}
	return err
}

// ---------------------------------------------------------------- ids, helpers

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
// no process) for a session from an earlier run of corral.
func (m *Manager) ensureLive(id string) (*live, store.Session, error) {
	rec, err := m.o.Store.GetSession(id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, rec, fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return nil, rec, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, rec, ErrClosed
	}
	if l, ok := m.live[id]; ok {
		return l, rec, nil
	}
	ad, cfg, err := m.adapterFor(rec.Agent)
	if err != nil {
		return nil, rec, err
	}
	l := &live{id: id, agentName: rec.Agent, adapter: ad, status: Status(rec.Status), pending: map[string]*pending{},
		opts: agent.SessionOptions{Program: cfg.Command, Args: cfg.Args, Cwd: rec.Cwd, Model: rec.Model,
			PermissionMode: rec.PermissionMode, ResumeID: rec.AgentSessionID}}
	l.lastActivity.Store(m.o.Now().UnixNano())
	m.live[id] = l
	return l, rec, nil
}

func (m *Manager) agentConfig(name string) (config.Agent, bool) {
	if a, ok := m.settings.get().agents[name]; ok {
		if a.Protocol == "" {
			a.Protocol = name
		}
		if a.Command == "" {
			a.Command = name
		}
		return withDefaultEnv(a), true
	}
	for _, b := range policy.BuiltinAgents {
		if b == name {
			return withDefaultEnv(config.Agent{Command: name, Protocol: name}), true
		}
	}
	return config.Agent{}, false
}

func (m *Manager) adapterFor(name string) (agent.Adapter, config.Agent, error) {
	cfg, ok := m.agentConfig(name)
	if !ok {
		return nil, cfg, fmt.Errorf("%w: unknown agent %q (configure it under [agents.%s])", ErrInvalid, name, name)
	}
	ad, ok := m.o.Adapters[cfg.Protocol]
	if !ok {
		return nil, cfg, fmt.Errorf("%w: agent %q uses protocol %q, which this build does not support", ErrInvalid, name, cfg.Protocol)
	}
	return ad, cfg, nil
}

// ---------------------------------------------------------------- queries

// Agents lists every configured or built-in agent with its resolved path
// and availability, as the policy sees it.
func (m *Manager) Agents(ctx context.Context) ([]AgentInfo, error) {
	var out []AgentInfo
	for _, c := range m.settings.get().policy.ListCapabilities() {
		if c.Kind != "agent" {
			continue
		}
		name := strings.TrimPrefix(c.Name, policy.AgentPrefix)
		cfg, _ := m.agentConfig(name)
		ai := AgentInfo{Name: name, Command: c.ProgramSpec, Protocol: cfg.Protocol, Path: c.Program, Status: "ok"}
		if !c.Available {
			ai.Status, ai.Message = "missing", c.Reason
			ai.Install = installHint(cfg.Protocol)
		}
		if _, ok := m.o.Adapters[cfg.Protocol]; !ok {
			ai.Status, ai.Message = "error", "protocol "+cfg.Protocol+" is not supported by this build"
		}
		switch cfg.Protocol {
		case "claude":
			ai.DisplayName = "Claude Code"
		case "codex":
			ai.DisplayName = "Codex"
		case "gemini":
			ai.DisplayName = "Gemini CLI"
		}
		ai.PermissionModes = offeredModes(cfg)
		out = append(out, ai)
	}
	return out, nil
}

func installHint(protocol string) string {
	switch protocol {
	case "claude":
		return "npm install -g @anthropic-ai/claude-code"
	case "codex":
		return "npm install -g @openai/codex"
	case "gemini":
		return "npm install -g @google/gemini-cli"
	}
	return ""
}

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

// ---------------------------------------------------------------- lifecycle

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
	now := m.o.Now()
	rec := store.Session{ID: newID("s-"), Agent: o.Agent, Cwd: o.Cwd, Model: o.Model, PermissionMode: o.PermissionMode,
		AgentSessionID: resumeID, Status: string(Active), CreatedAt: now, UpdatedAt: now, LastActivity: now,
		Title: title(o.Prompt)}
	if resumedFrom != "" {
		rec.Meta, _ = json.Marshal(map[string]string{"resumedFrom": resumedFrom})
	}
	rec, err := m.o.Store.CreateSession(ctx, rec)
	if err != nil {
		return Info{}, err
	}
	m.changed()
	l, _, err := m.ensureLive(rec.ID)
	if err != nil {
		return Info{}, err
	}
	if !l.adapter.PerTurn() {
		l.mu.Lock()
		err := m.startLocked(ctx, l, nil)
		l.mu.Unlock()
		if err != nil {
			// Nothing ran: the session would only be a dead entry in the list.
			if derr := m.Delete(ctx, rec.ID); derr != nil {
				m.log.Warn("cannot remove a session whose agent did not start", "session", rec.ID, "err", derr)
			}
			return Info{}, err
		}
	}
	if o.Prompt != "" {
		if _, err := m.Send(ctx, rec.ID, o.Prompt); err != nil {
			return m.info(rec), err
		}
	}
	return m.Get(ctx, rec.ID)
}

func title(prompt string) string {
	t := strings.TrimSpace(strings.SplitN(prompt, "\n", 2)[0])
	if r := []rune(t); len(r) > 80 {
		t = string(r[:80]) + "…"
	}
	return t
}

// stdinWriter is the adapter's view of the agent's stdin. It exists before
// the process (the adapter's Conn is made first, so that no output line can
// arrive before there is a Conn to decode it) and holds what the adapter
// writes until the supervisor reports the child running (the handshake and
// a first turn are written right after Start, before the spawn happened).
type stdinWriter struct {
	mu      sync.Mutex
	p       *supervise.Process
	running bool
	buf     []byte
	closed  bool // Close was called: close after the held bytes are written
}

// maxEarlyStdin caps what is held before the child runs.
const maxEarlyStdin = 4 << 20

func (w *stdinWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, io.ErrClosedPipe
	}
	if w.running {
		return w.p.Write(b)
	}
	if len(w.buf)+len(b) > maxEarlyStdin {
		return 0, errors.New("session: too much input before the agent started")
	}
	w.buf = append(w.buf, b...)
	return len(b), nil
}

// Close closes the child's stdin (per-turn adapters deliver the prompt and
// close), after what is held, if the child is not running yet.
func (w *stdinWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.running {
		return w.p.CloseStdin()
	}
	return nil
}

// markRunning flushes what was held; later writes go straight through.
func (w *stdinWriter) markRunning() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running || w.p == nil {
		return
	}
	w.running = true
	if len(w.buf) > 0 {
		w.p.Write(w.buf) //nolint:errcheck // a dead child is reported by its run.exited
		w.buf = nil
	}
	if w.closed {
		w.p.CloseStdin() //nolint:errcheck // as above
	}
}

// startLocked launches the session's agent process: the adapter describes
// it, the policy checks and resolves it (program, environment, cwd), the
// supervisor runs it. turn is the turn of a per-turn adapter. l.mu is held.
func (m *Manager) startLocked(ctx context.Context, l *live, turn *agent.Turn) error {
	if l.proc != nil {
		return nil
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
		// Output is decoded here, synchronously on the reading goroutine,
		// so an agent event is appended (and so published) without a
		// second queue; the adapter's events keep the raw line.
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
	if err := m.o.Store.CreateRun(ctx, store.Run{ID: procRun, SessionID: l.id, Command: res.Program}); err != nil {
		return err
	}
	m.mu.Lock()
	p, err := m.o.Supervisor.Start(sspec)
	if err == nil {
		m.byProc[p.ID()] = l
	}
	m.mu.Unlock()
	if err != nil {
		m.o.Store.FinishRun(ctx, procRun, store.RunEnd{Reason: "spawn-failed"}) //nolint:errcheck // reported below
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

// tap decodes one output line of the agent into events.
func (m *Manager) tap(l *live, conn agent.Conn) proc.Sink {
	var mu sync.Mutex
	return func(o proc.Output) {
		st := agent.Stdout
		if o.Stream == proc.Stderr {
			st = agent.Stderr
		}
		mu.Lock()
		conn.Decode(st, o.Bytes, func(ev event.Event) { m.onAgentEvent(l, ev) })
		mu.Unlock()
	}
}

// onAgentEvent stamps, persists and acts on one decoded event.
func (m *Manager) onAgentEvent(l *live, ev event.Event) {
	ctx := context.Background()
	l.lastActivity.Store(m.o.Now().UnixNano())
	l.mu.Lock()
	defer l.mu.Unlock()
	ev.SessionID, ev.RunID = l.id, l.turn
	if l.proc != nil {
		ev.ProcessID = l.proc.ID()
	}
	switch ev.Kind {
	case event.PermissionRequest:
		var d agent.PermissionRequestData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.addPendingLocked(ctx, l, d, ev)
		return
	case event.AgentInit:
		var d agent.InitData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if d.SessionID != "" && d.SessionID != l.opts.ResumeID {
			if l.adapter.PerTurn() {
				// A per-turn agent (Gemini) names its conversation before
				// the model answers but saves it only when the turn gets
				// that far: after a failed first turn, resuming the id it
				// announced fails for good ("No previous sessions found").
				l.newAgentID = d.SessionID
				return
			}
			m.adoptAgentIDLocked(ctx, l, d.SessionID)
		}
		return
	case event.Usage:
		var d agent.UsageData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if err := m.o.Store.AddUsage(ctx, l.id, store.Usage{InputTokens: d.InputTokens, OutputTokens: d.OutputTokens,
			CacheReadTokens: d.CacheReadTokens, CacheWriteTokens: d.CacheWriteTokens, CostUSD: d.CostUSD}); err != nil {
			m.log.Warn("cannot add usage", "session", l.id, "err", err)
		}
		m.changed()
		return
	case event.TurnCompleted:
		var d agent.TurnCompletedData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if id := l.newAgentID; id != "" {
			l.newAgentID = ""
			if d.OK {
				m.adoptAgentIDLocked(ctx, l, id)
			}
		}
		switch {
		case d.OK:
			m.endTurnLocked(ctx, l, "exit", Idle, "")
		case l.interrupting || (d.Error != nil && d.Error.Code == agent.CodeInterrupted):
			m.endTurnLocked(ctx, l, "interrupted", Interrupted, "interrupted by the user")
		case d.Error != nil && d.Error.Code == agent.CodeAuth:
			// The one failure the user must fix outside corral: say how.
			advice := agent.AuthAdvice(l.protocol, l.env, d.Error.HTTPStatus)
			m.appendError(l, l.turn, ErrorAgentAuth, advice, "set the credential, then reload the configuration or restart corral")
			m.endTurnLocked(ctx, l, "error", Error, advice)
		default:
			msg := "the agent reported a failed turn"
			if d.Error != nil {
				msg = d.Error.Error()
			}
			m.endTurnLocked(ctx, l, "error", Error, msg)
		}
		return
	case event.ToolCall, event.ToolResult:
		var d struct {
			ID string `json:"id"`
		}
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		if d.ID != "" && l.turn != "" {
			if ev.Kind == event.ToolCall {
				if l.tools == nil {
					l.tools = map[string]bool{}
				}
				l.tools[d.ID] = true
			} else {
				delete(l.tools, d.ID)
			}
		}
	case event.PermissionResolved:
		// The agent withdrew a request (the turn was interrupted).
		var d agent.PermissionResolvedData
		json.Unmarshal(ev.Data, &d) //nolint:errcheck // the adapter made it
		m.append(ev)
		if p, ok := l.pending[d.RequestID]; ok {
			m.resolveLocked(ctx, l, d.RequestID, p, store.Decision{Decision: store.PermissionDeny, By: "agent", Message: "withdrawn by the agent"})
		}
		return
	}
	m.append(ev)
}

// adoptAgentIDLocked records the agent's own id of the conversation, the
// one a resume passes back.
func (m *Manager) adoptAgentIDLocked(ctx context.Context, l *live, id string) {
	l.opts.ResumeID = id
	if _, err := m.o.Store.UpdateSession(ctx, l.id, func(s *store.Session) error {
		s.AgentSessionID = id
		return nil
	}); err != nil {
		m.log.Warn("cannot record the agent session id", "session", l.id, "err", err)
	}
	m.changed()
}

func (m *Manager) append(evs ...event.Event) {
	if err := m.o.Store.Append(evs...); err != nil {
		m.log.Error("cannot append events", "err", err)
	}
}

func (m *Manager) appendError(l *live, runID, typ, msg, action string) {
	ev := event.New(event.ErrorKind, map[string]any{"type": typ, "message": msg, "recoverable": true, "action": action})
	ev.SessionID, ev.RunID, ev.Time = l.id, runID, m.o.Now()
	m.append(ev)
}

// setStatusLocked moves the session to st if that is a legal change.
func (m *Manager) setStatusLocked(ctx context.Context, l *live, st Status, reason string) {
	if l.status == st || !CanTransition(l.status, st) {
		return
	}
	rec, err := m.o.Store.SetStatus(ctx, l.id, string(st), reason)
	if keptByStore(err) {
		err, rec.Status = nil, "" // the store makes the change when it can write
	}
	if err != nil {
		m.log.Warn("cannot change session status", "session", l.id, "to", st, "err", err)
		if rec.Status != "" {
			l.status = Status(rec.Status)
		}
		return
	}
	l.status = st
	m.changed()
}

// endTurnLocked gives the running turn its terminal event and the session
// its next status; pending permission requests of the turn expire.
func (m *Manager) endTurnLocked(ctx context.Context, l *live, reason string, st Status, why string) {
	if l.idleStop != nil {
		l.idleStop()
		l.idleStop = nil
	}
	clear(l.tools)
	for rid, p := range l.pending {
		m.resolveLocked(ctx, l, rid, p, store.Decision{Decision: store.PermissionExpired, By: "corral", Message: "the turn ended: " + reason})
	}
	if l.turn != "" {
		st, why = m.storeOutcomeLocked(l, st, why)
		end := store.RunEnd{Reason: reason}
		if reason == "exit" {
			zero := 0
			end.ExitCode = &zero
		}
		if _, err := m.o.Store.FinishRun(ctx, l.turn, end); err != nil {
			m.log.Warn("cannot finish run", "session", l.id, "run", l.turn, "err", err)
		}
		l.turn = ""
		m.setStatusLocked(ctx, l, st, why)
	}
	l.interrupting = false
	m.changed()
}

// ---------------------------------------------------------------- turns

// Send starts a turn with text and returns its run id. The session must
// not be running a turn already (ErrConflict) nor be terminated.
func (m *Manager) Send(ctx context.Context, id, text string) (string, error) {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	l, rec, err := m.ensureLive(id)
	if err != nil {
		return "", err
	}
	if rec.Title == "" && rec.Status != string(Terminated) {
		// A session created without a prompt is named after its first message.
		if _, err := m.o.Store.UpdateSession(ctx, id, func(s *store.Session) error {
			if s.Title == "" {
				s.Title = title(text)
			}
			return nil
		}); err != nil {
			m.log.Warn("cannot set the session title", "session", id, "err", err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := l.proc; p != nil && l.turn == "" && (l.retiring || l.adapter.PerTurn()) {
		// The agent is exiting: the previous turn of a per-turn agent
		// ended with the agent's own report and the session already shows
		// idle (Gemini takes a moment after its result line), or the agent
		// was stopped (idle cleanup, the idle check of a turn) and the
		// message must not go to it. Wait for the exit, bounded, then
		// start a fresh agent, rather than refuse a message the UI offered.
		wait := exitWait(l.retiring, m.o.StopGrace)
		l.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-p.Done():
		case <-t.C:
		}
		t.Stop()
		l.mu.Lock()
		if l.proc == p && isDone(p) {
			// Its run.exited is on the way; HandleProcessEvent ignores it
			// once another process is current.
			l.proc, l.conn, l.retiring = nil, nil, false
		}
	}
	switch {
	case l.status == Terminated:
		return "", fmt.Errorf("%w: session %s is terminated; resume it to continue", ErrConflict, id)
	case l.turn != "":
		return "", fmt.Errorf("%w: session %s is running a turn (%s); interrupt it or wait", ErrConflict, id, l.turn)
	case l.adapter.PerTurn() && l.proc != nil, l.retiring:
		return "", fmt.Errorf("%w: the previous turn's process of session %s is still exiting", ErrConflict, id)
	}
	var turn *agent.Turn
	if l.adapter.PerTurn() {
		turn = &agent.Turn{Text: text}
	}
	if err := m.startLocked(ctx, l, turn); err != nil {
		m.setStatusLocked(ctx, l, Error, err.Error())
		return "", err
	}
	runID := newID("r-")
	if err := m.o.Store.CreateRun(ctx, store.Run{ID: runID, SessionID: id, ProcessID: l.proc.ID()}); err != nil {
		return "", err
	}
	l.turn, l.newAgentID = runID, ""
	l.lostAtStart = m.o.Store.LostEvents(id)
	m.changed()
	l.lastActivity.Store(m.o.Now().UnixNano())
	ev := event.New(event.RunStarted, map[string]any{"prompt": text, "pid": l.proc.Info().Pid})
	ev.SessionID, ev.RunID, ev.ProcessID, ev.Time = id, runID, l.proc.ID(), m.o.Now()
	m.append(ev)
	if l.turnIdle > 0 {
		l.idleStop = m.o.AfterFunc(l.turnIdle, func() { m.checkTurnIdle(l, runID) })
	}
	m.setStatusLocked(ctx, l, Processing, "")
	if err := m.o.Store.AddUsage(ctx, id, store.Usage{Messages: 1}); err != nil {
		m.log.Warn("cannot count the message", "session", id, "err", err)
	}
	m.changed()
	if turn == nil {
		if err := l.conn.SendUserTurn(text); err != nil {
			m.endTurnLocked(ctx, l, "crashed", Error, "cannot write to the agent: "+err.Error())
			return runID, fmt.Errorf("%w: cannot write to the agent: %v", ErrConflict, err)
		}
	}
	return runID, nil
}

// checkTurnIdle ends the turn run when its agent has printed nothing for
// the idle timeout: the CLIs wait on a model stream that stalled after its
// headers for many minutes, and a UI must not show "thinking" that long.
// The turn ends with an idle_timeout error event and its run.exited
// (reason "timeout"), the session goes to error, and the agent is stopped
// (its in-flight request is abandoned; the next message starts it again,
// resuming its conversation). A turn waiting for a permission answer is
// waiting for the user, and one with a tool call still running (a build,
// a test suite) is working without printing: the check waits with them.
// An agent that never reports the result of a call it started (Gemini's
// ACP mode after a rejection) leaves that turn without the check.
func (m *Manager) checkTurnIdle(l *live, run string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.turn != run || l.turnIdle <= 0 {
		return
	}
	l.idleStop = nil
	quiet := m.o.Now().Sub(time.Unix(0, l.lastActivity.Load()))
	busy := len(l.pending) > 0 || len(l.tools) > 0
	if busy || quiet < l.turnIdle {
		wait := l.turnIdle - quiet
		if busy || wait <= 0 {
			wait = l.turnIdle
		}
		l.idleStop = m.o.AfterFunc(wait, func() { m.checkTurnIdle(l, run) })
		return
	}
	msg := fmt.Sprintf("the agent printed nothing for %v during the turn (idle timeout)", l.turnIdle)
	m.appendError(l, run, "idle_timeout", msg, "check that the model API answers; send the message again to retry")
	m.endTurnLocked(context.Background(), l, "timeout", Error, msg)
	if l.proc != nil {
		l.retiring = true
		l.proc.Stop()
	}
}

// perTurnExitWait bounds how long Send waits for the process of a per-turn
// agent's finished turn to exit.
const perTurnExitWait = 10 * time.Second

// exitWait is how long Send waits for an exiting agent: a stopped
// (retiring) one may take its whole stop grace (0: the supervisor's
// default) before it is killed, and then some.
func exitWait(retiring bool, grace time.Duration) time.Duration {
	if !retiring {
		return perTurnExitWait
	}
	if grace <= 0 {
		grace = supervise.DefaultStopGrace
	}
	return grace + perTurnExitWait
}

func isDone(p *supervise.Process) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// Interrupt cuts the running turn short. The agent ends the turn itself
// (its terminal event says interrupted); an agent that cannot be
// interrupted in band gets SIGINT.
func (m *Manager) Interrupt(_ context.Context, id string) error {
	l, _, err := m.ensureLive(id)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.turn == "" || l.conn == nil {
		return fmt.Errorf("%w: session %s has no turn running", ErrConflict, id)
	}
	l.interrupting = true
	err = l.conn.Interrupt()
	switch {
	case errors.Is(err, agent.ErrSignalRequired):
		return l.proc.Signal(os.Interrupt)
	case errors.Is(err, agent.ErrNotReady):
		l.interrupting = false
		return fmt.Errorf("%w: the agent is still starting; interrupt again in a moment", ErrConflict)
	}
	return err
}

// ---------------------------------------------------------------- permissions

func (m *Manager) addPendingLocked(ctx context.Context, l *live, d agent.PermissionRequestData, ev event.Event) {
	now := m.o.Now()
	p := &pending{storeID: l.id + "/" + d.RequestID, runID: l.turn}
	pr := store.PermissionRequest{ID: p.storeID, SessionID: l.id, RunID: l.turn, Tool: d.Tool, Input: d.Input, CreatedAt: now}
	if m.o.PermissionTimeout > 0 {
		pr.ExpiresAt = now.Add(m.o.PermissionTimeout)
	}
	// Persisted before it is announced: an answer can never find it missing.
	if err := m.o.Store.AddPermissionRequest(ctx, pr); err != nil {
		m.log.Error("cannot persist a permission request", "session", l.id, "err", err)
	}
	l.pending[d.RequestID] = p
	m.changed()
	// The timer runs from the moment the request is known (its callback
	// waits for l.mu, so it cannot act before this function returns).
	if m.o.PermissionTimeout > 0 {
		rid, timeout := d.RequestID, m.o.PermissionTimeout
		p.stop = m.o.AfterFunc(timeout, func() { m.expire(l, rid, timeout) })
	}
	m.append(ev)
	m.setStatusLocked(ctx, l, WaitingPermission, "")
}

// expire denies a request nobody answered in time.
func (m *Manager) expire(l *live, rid string, after time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.pending[rid]
	if !ok {
		return
	}
	msg := fmt.Sprintf("no answer within %v", after)
	if l.conn != nil {
		if err := l.conn.RespondPermission(agent.PermissionAnswer{RequestID: rid, Allow: false, Message: "Denied by corral: " + msg}); err != nil {
			m.log.Warn("cannot deny an expired permission request", "session", l.id, "err", err)
		}
	}
	m.resolveLocked(context.Background(), l, rid, p, store.Decision{Decision: store.PermissionExpired, By: "corral", Message: msg})
}

// resolveLocked records a decision (audit: who, when, what) and drops the
// request from the pending set.
func (m *Manager) resolveLocked(ctx context.Context, l *live, rid string, p *pending, d store.Decision) error {
	if p.stop != nil {
		p.stop()
	}
	delete(l.pending, rid)
	m.changed()
	_, err := m.o.Store.ResolvePermission(ctx, p.storeID, d)
	if len(l.pending) == 0 && l.status == WaitingPermission && l.turn != "" {
		m.setStatusLocked(ctx, l, Processing, "")
	}
	return err
}

// RespondPermission answers a pending request. The first answer wins; a
// later one (or one for an unknown request) is ErrConflict / ErrNotFound.
func (m *Manager) RespondPermission(ctx context.Context, a Answer) error {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	l, _, err := m.ensureLive(a.SessionID)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.pending[a.RequestID]
	if !ok {
		if rec, err := m.o.Store.GetPermission(a.SessionID + "/" + a.RequestID); err == nil {
			return fmt.Errorf("%w: permission request %s was already decided (%s by %s)", ErrConflict, a.RequestID, rec.Status, rec.DecidedBy)
		}
		return fmt.Errorf("permission request %q of session %s: %w", a.RequestID, a.SessionID, ErrNotFound)
	}
	if l.conn == nil {
		return fmt.Errorf("%w: the agent of session %s is not running", ErrConflict, a.SessionID)
	}
	if err := l.conn.RespondPermission(agent.PermissionAnswer{RequestID: a.RequestID, Allow: a.Allow, Input: a.Input,
		Message: a.Message, Remember: a.Remember}); err != nil {
		if errors.Is(err, agent.ErrNoSuchRequest) {
			return fmt.Errorf("%w: the agent no longer waits for %s", ErrConflict, a.RequestID)
		}
		return err
	}
	dec := store.PermissionDeny
	if a.Allow {
		dec = store.PermissionAllow
	}
	by := a.By
	if by == "" {
		by = "user"
	}
	return m.resolveLocked(ctx, l, a.RequestID, p, store.Decision{Decision: dec, By: by, Message: a.Message, Remember: a.Remember})
}

// ---------------------------------------------------------------- process events

// HandleProcessEvent is the supervisor's Sink: it persists process events
// (state, stats, truncation, the process's own run.exited) and reacts to
// the end of an agent process. It is called from one goroutine.
func (m *Manager) HandleProcessEvent(ev event.Event) {
	if ev.Kind == event.ProcessStats {
		m.stats.record(ev)
		if !overLimit(ev) {
			return // a sample, not history: see stats.go
		}
	}
	m.append(ev)
	if ev.Kind == event.ProcessState {
		var st struct {
			State string `json:"state"`
		}
		json.Unmarshal(ev.Data, &st) //nolint:errcheck // the supervisor made it
		if st.State == string(supervise.StateRunning) {
			m.mu.Lock()
			l := m.byProc[ev.ProcessID]
			m.mu.Unlock()
			if l != nil {
				l.mu.Lock()
				w := l.stdin
				l.mu.Unlock()
				if w != nil {
					w.markRunning()
				}
			}
		}
		return
	}
	if ev.Kind != event.RunExited {
		return
	}
	m.stats.end(ev.ProcessID)
	m.mu.Lock()
	l, ok := m.byProc[ev.ProcessID]
	delete(m.byProc, ev.ProcessID)
	m.mu.Unlock()
	if !ok {
		return
	}
	var r supervise.Result
	json.Unmarshal(ev.Data, &r) //nolint:errcheck // the supervisor made it
	ctx := context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.proc == nil || l.proc.ID() != ev.ProcessID {
		return
	}
	l.proc, l.conn, l.retiring = nil, nil, false
	switch {
	case l.stopping:
		// Stop/Delete/Shutdown finish the turn and the status.
	case r.Reason == supervise.ReasonSpawnFailed:
		m.appendError(l, l.turn, "spawn_failed", r.Error, "install the agent CLI or fix its command in the configuration")
		m.endTurnLocked(ctx, l, "spawn_failed", Error, r.Error)
		m.setStatusLocked(ctx, l, Error, r.Error)
	case l.interrupting:
		m.endTurnLocked(ctx, l, "interrupted", Interrupted, "interrupted by the user")
	case l.turn != "" && l.adapter.PerTurn():
		// A per-turn agent's turn ends with its process, unless the
		// adapter already ended it from the agent's own report.
		if r.Reason == supervise.ReasonExit && r.Code == 0 {
			m.endTurnLocked(ctx, l, "exit", Idle, "")
		} else {
			m.appendError(l, l.turn, "crashed", fmt.Sprintf("the agent failed (%s, code %d %s)", r.Reason, r.Code, r.SignalName), "check the agent's stderr above")
			m.endTurnLocked(ctx, l, "error", Error, "the agent process failed")
		}
	case l.turn != "":
		reason := r.Reason
		if reason == supervise.ReasonExit {
			reason = "crashed" // a persistent agent that exits mid-turn did not finish it
		}
		m.appendError(l, l.turn, "crashed", fmt.Sprintf("the agent exited during the turn (%s, code %d %s)", r.Reason, r.Code, r.SignalName), "send the message again to restart the agent")
		m.endTurnLocked(ctx, l, reason, Error, "the agent process ended during the turn")
	}
}

// ---------------------------------------------------------------- stop, resume, delete

// stopProcess stops the agent and waits for it to be reaped (or ctx).
func (m *Manager) stopProcess(ctx context.Context, l *live) error {
	l.mu.Lock()
	l.stopping = true
	p := l.proc
	l.mu.Unlock()
	if p == nil {
		return nil
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
	l.mu.Lock()
	defer l.mu.Unlock()
	l.proc, l.conn, l.retiring = nil, nil, false
	m.endTurnLocked(ctx, l, "killed", Terminated, "stopped by the user")
	m.setStatusLocked(ctx, l, Terminated, "stopped by the user")
	l.stopping = false
	return nil
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
	l.mu.Lock()
	if l.status == Terminated {
		l.mu.Unlock()
		return m.create(ctx, CreateOptions{Agent: rec.Agent, Cwd: rec.Cwd, Model: rec.Model, PermissionMode: rec.PermissionMode},
			rec.AgentSessionID, id)
	}
	var serr error
	if !l.adapter.PerTurn() {
		serr = m.startLocked(ctx, l, nil)
	}
	if serr == nil && (l.status == Error || l.status == Interrupted) && l.turn == "" {
		m.setStatusLocked(ctx, l, Idle, "resumed")
	}
	l.mu.Unlock()
	if serr != nil {
		return Info{}, serr
	}
	return m.Get(ctx, id)
}

// Delete stops a session's agent and deletes the session with its events,
// runs and permission records.
func (m *Manager) Delete(ctx context.Context, id string) error {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	if _, err := m.o.Store.GetSession(id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return err
	}
	if l, ok := m.get(id); ok {
		if err := m.stopProcess(ctx, l); err != nil {
			return err
		}
		l.mu.Lock()
		for rid, p := range l.pending {
			if p.stop != nil {
				p.stop()
			}
			delete(l.pending, rid)
		}
		l.mu.Unlock()
		m.mu.Lock()
		delete(m.live, id)
		m.mu.Unlock()
	}
	defer m.changed()
	return m.o.Store.DeleteSession(ctx, id)
}

// LiveProcesses lists the supervisor's processes, for ListProcesses.
func (m *Manager) LiveProcesses() []supervise.Info {
	l := m.o.Supervisor.List()
	sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	return l
}
