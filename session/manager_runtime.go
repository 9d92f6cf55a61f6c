package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

// RuntimeOptions tune OpenRuntime.
type RuntimeOptions struct {
	// Manager options other than Recorder, Launcher, Policy and Agents.
	Manager Options
	// Watchdog is the supervisor's watchdog command line (corral's own
	// executable with its hidden watchdog argument); empty runs none.
	Watchdog    []string
	WatchdogEnv []string
	// Subreaper makes this process a child subreaper (Linux).
	Subreaper bool
	// MaxProcesses caps live agent and capability processes (0: config's
	// limits.max_processes).
	MaxProcesses int
	// MonitorInterval is the CPU/RSS sampling period (0: supervisor default).
	MonitorInterval time.Duration
	// BusMaxDelay is the longest the bus holds an event to coalesce it
	// with others under load (0: DefaultBusMaxDelay).
	BusMaxDelay time.Duration
	Logger      *slog.Logger
	// WrapRecorder, when set, wraps the store as the sessions' Recorder
	// (tests use it to observe or hold back the session layer's writes).
	WrapRecorder func(Recorder) Recorder
}

// DefaultBusMaxDelay keeps delivery latency low under a steady stream: the
// bus's own default (16 ms) favours fewer, larger batches, but a UI showing
// tokens as they stream wants them within a few milliseconds, and the SSE
// writer already coalesces whatever is waiting into one write.
const DefaultBusMaxDelay = time.Millisecond

// Runtime is everything behind the facade, wired in the one order that
// keeps the guarantees: the store publishes to the bus only after commit;
// the supervisor's events go through the manager into the store; processes
// a dead corral left behind are swept before anything starts; the store's
// crash recovery runs before the first session does.
type Runtime struct {
	Store      *store.Store
	Bus        *bus.Bus
	Supervisor *supervise.Supervisor
	Policy     *policy.Policy
	Manager    *Manager
	Ledger     *supervise.FileLedger
	// Swept and Recovered report the start-up cleanup.
	Swept     []supervise.Swept
	Recovered store.Recovery

	reload reloader

	hooksMu     sync.Mutex
	beforeClose []func()
}

// OpenRuntime opens the store in dataDir and starts the runtime for cfg.
func OpenRuntime(ctx context.Context, dataDir string, cfg *config.Config, o RuntimeOptions) (*Runtime, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runtime{}
	var b *bus.Bus
	st, err := store.Open(dataDir, store.Options{
		Publish:    func(batch []event.Event) { b.Publish(batch) },
		Transition: CheckTransition,
		OnError:    func(err error) { log.Error("store commit failed", "err", err) },
	})
	if err != nil {
		return nil, err
	}
	if st.ReadOnly() {
		st.Close()
		return nil, fmt.Errorf("the data directory %s is read-only: %w", dataDir, store.ErrReadOnly)
	}
	busOpts := bus.Options{MaxDelay: o.BusMaxDelay}
	if busOpts.MaxDelay == 0 {
		busOpts.MaxDelay = DefaultBusMaxDelay
	}
	b = bus.New(st, busOpts)
	r.Store, r.Bus = st, b
	fail := func(err error) (*Runtime, error) {
		b.Close()
		st.Close()
		return nil, err
	}

	if r.Ledger, err = supervise.NewFileLedger(dataDir); err != nil {
		return fail(err)
	}
	if r.Swept, err = supervise.Sweep(r.Ledger); err != nil {
		log.Warn("orphan sweep failed", "err", err)
	}
	if r.Policy, err = newPolicy(cfg, st); err != nil {
		return fail(err)
	}
	var mgr *Manager
	maxProcs := o.MaxProcesses
	if maxProcs == 0 {
		maxProcs = cfg.Limits.MaxProcesses
	}
	if r.Supervisor, err = supervise.New(supervise.Config{
		MaxProcesses:    maxProcs,
		WhenFull:        supervise.Reject,
		Sink:            func(ev event.Event) { mgr.HandleProcessEvent(ev) },
		Ledger:          r.Ledger,
		Watchdog:        o.Watchdog,
		WatchdogEnv:     o.WatchdogEnv,
		Subreaper:       o.Subreaper,
		MonitorInterval: o.MonitorInterval,
	}); err != nil {
		return fail(err)
	}
	mo := o.Manager
	mo.Recorder, mo.Launcher, mo.Policy, mo.Agents = st, supervisorLauncher{r.Supervisor}, r.Policy, cfg.Agents
	if o.WrapRecorder != nil {
		mo.Recorder = o.WrapRecorder(st)
	}
	mo = managerDefaults(ctx, mo, cfg, dataDir, st, log)
	if mgr, err = NewManager(mo); err != nil {
		r.Supervisor.Shutdown(ctx) // error ignored: nothing runs yet
		return fail(err)
	}
	r.Manager = mgr
	r.reload.path, r.reload.cfg = cfg.Path, cfg
	if r.Recovered, err = mgr.Recover(ctx); err != nil {
		r.Supervisor.Shutdown(ctx) // error ignored: nothing runs yet
		return fail(err)
	}
	mgr.sweepWorktrees(ctx)
	return r, nil
}

// managerDefaults fills what o leaves unset from the configuration and the
// data directory.
func managerDefaults(ctx context.Context, mo Options, cfg *config.Config, dataDir string, st *store.Store, log *slog.Logger) Options {
	if mo.IdleTimeout == 0 {
		mo.IdleTimeout = cfg.Sessions.IdleTimeout
	}
	if mo.MaxIdleAgents == 0 {
		mo.MaxIdleAgents = cfg.Sessions.MaxIdleAgents
	}
	if mo.Budget == (config.Budget{}) {
		mo.Budget = cfg.Budget
	}
	if mo.Logger == nil {
		mo.Logger = log
	}
	if mo.Attachments.Store == nil {
		mo.Attachments = attachmentOptions(dataDir, st, cfg.Attachments)
	}
	if mo.Isolation == "" {
		mo.Isolation = cfg.Sessions.Isolation
	}
	if mo.Setup == nil {
		mo.Setup = cfg.Sessions.Setup
	}
	if mo.Workspaces == nil {
		mo.Workspaces = openWorkspaces(ctx, dataDir, log)
	}
	return mo
}

// Close stops every managed process tree, flushes the store, ends every
// subscription and closes the database. ctx bounds the graceful part of
// the process stop; what is left then is killed.
func (r *Runtime) Close(ctx context.Context) error {
	r.runBeforeClose()
	err := r.Manager.Shutdown(ctx)
	r.Bus.Close()
	if cerr := r.Store.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// Shutdown killed what did not stop in time; that is the contract.
		err = nil
	}
	return err
}
