package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/fleet"
	"github.com/corral-dev/corral/fleet/relay"
	"github.com/corral-dev/corral/internal/datalock"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/supervise"
)

func init() {
	register("runner", &command{
		Summary: "run headless as a runner of a fleet: dial the hub's NATS and serve its sessions",
		Run:     runRunner,
	})
}

// runnerOptions are corral runner's flags.
type runnerOptions struct {
	hub, creds, name string
	interval         time.Duration
	capacity         int
	labels           labelFlag
	v                bool
}

// labelFlag collects --label KEY=VALUE pairs.
type labelFlag map[string]string

func (l labelFlag) String() string { return fmt.Sprint(map[string]string(l)) }
func (l labelFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return errors.New("want KEY=VALUE")
	}
	l[k] = v
	return nil
}

func parseRunnerFlags(g *globals, args []string, stderr io.Writer) (runnerOptions, int, bool) {
	o := runnerOptions{labels: labelFlag{}}
	fs := newFlagSet("runner", g, stderr)
	fs.StringVar(&o.hub, "hub", os.Getenv("CORRAL_HUB"), "the hub's NATS `URL` (comma-separated for a cluster; default $CORRAL_HUB)")
	fs.StringVar(&o.creds, "creds", os.Getenv("CORRAL_CREDS"), "the runner's credentials `file` from `corral fleet add` (default $CORRAL_CREDS)")
	fs.StringVar(&o.name, "name", "", "the runner's `name` (default and only allowed value: the name in the credentials)")
	fs.DurationVar(&o.interval, "heartbeat", fleet.DefaultHeartbeatInterval, "time between heartbeats")
	fs.IntVar(&o.capacity, "capacity", 0, "the most sessions placement puts here (0: no limit)")
	fs.Var(o.labels, "label", "a `KEY=VALUE` label shown in the hub's Machines view (repeatable)")
	fs.BoolVar(&o.v, "v", false, "log debug messages")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: corral runner --hub URL --creds FILE [--name NAME] [--data DIR] [--config FILE]")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return o, code, false
	}
	if fs.NArg() > 0 || o.hub == "" || o.creds == "" {
		fs.Usage()
		return o, 2, false
	}
	return o, 0, true
}

// exitCredsRefused is corral runner's exit code when the hub refuses its
// credentials (removed with `corral fleet remove`): restarting will not
// help (corral-runner.service does not).
const exitCredsRefused = 3

// runRunner runs the runner until SIGTERM or SIGINT (exit 0, every process
// tree stopped), or until the hub refuses its credentials
// (exitCredsRefused).
func runRunner(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	o, code, ok := parseRunnerFlags(g, args, stderr)
	if !ok {
		return code
	}
	level := slog.LevelInfo
	if o.v {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := config.Load(g.Config)
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		return 2
	}
	dataDir := g.Data
	if dataDir == "" {
		if dataDir, err = config.DefaultDataDir(); err != nil {
			fmt.Fprintln(stderr, "corral: no data directory:", err)
			return 1
		}
	}
	lock, err := datalock.Acquire(dataDir, "corral runner")
	if err != nil {
		fmt.Fprintln(stderr, "corral:", describeLockErr(err, dataDir))
		return 1
	}
	defer lock.Release()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var watchdog []string
	if exe, err := os.Executable(); err == nil {
		watchdog = []string{exe, supervise.WatchdogArg}
	}
	rt, err := session.OpenRuntime(ctx, dataDir, cfg, session.RuntimeOptions{
		Watchdog: watchdog, Subreaper: goruntime.GOOS == "linux", Logger: log,
	})
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		return 1
	}
	code = runnerUntilDone(ctx, rt, o, stdout, log)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := rt.Close(sctx); err != nil {
		log.Error("shutdown", "err", err)
		code = 1
	}
	log.Info("stopped")
	return code
}

// runnerUntilDone connects to the hub and waits for a stop.
func runnerUntilDone(ctx context.Context, rt *session.Runtime, o runnerOptions, stdout io.Writer, log *slog.Logger) int {
	janitor := time.NewTicker(15 * time.Second)
	defer janitor.Stop()
	rt.Manager.StartJanitor(janitor.C)
	v, _, _ := buildInfo()
	conn, err := fleet.ConnectRunner(fleet.RunnerOptions{
		URL: o.hub, CredsFile: o.creds, Name: o.name, Interval: o.interval, Logger: log,
		Status: func() fleet.Heartbeat { return runnerStatus(ctx, rt.Manager, v, o) },
	})
	if err != nil {
		log.Error("cannot start the runner", "err", err)
		return 2
	}
	defer conn.Close()
	stopRelay, err := startRunnerRelay(conn, rt, log)
	if err != nil {
		log.Error("cannot start the relay", "err", err)
		return 1
	}
	defer stopRelay()
	fmt.Fprintf(stdout, "corral runner %s: dialing %s\n", conn.Name(), o.hub)
	log.Info("runner", "name", conn.Name(), "hub", o.hub, "pid", os.Getpid())
	select {
	case <-ctx.Done():
		log.Info("stopping")
		return 0
	case <-conn.Done():
		log.Error("the hub ended the connection", "err", conn.Err())
		return exitCredsRefused
	}
}

// runnerStatus is what a heartbeat says of this runner.
func runnerStatus(ctx context.Context, m *session.Manager, version string, o runnerOptions) fleet.Heartbeat {
	hb := fleet.Heartbeat{Version: version, Capacity: o.capacity, Labels: o.labels, Agents: []string{}}
	if agents, err := m.Agents(ctx); err == nil {
		for _, a := range agents {
			if a.Status == "ok" {
				hb.Agents = append(hb.Agents, a.Name)
			}
		}
	}
	if list, err := m.List(ctx); err == nil {
		for _, s := range list {
			if s.Status != session.Terminated && !s.Archived {
				hb.Sessions++
			}
		}
	}
	return hb
}

// startRunnerRelay starts the runner's side of the relay: the Publisher of
// the sessions' committed events to CORRAL_EVENTS and the RPC server of the
// hub's method calls on the runner's facade. stop ends both (before the
// runtime closes: the Publisher writes its watermarks to the store); what
// is committed after it is published at the next start.
func startRunnerRelay(conn *fleet.RunnerConn, rt *session.Runtime, log *slog.Logger) (stop func(), err error) {
	logf := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	pub, err := relay.StartPublisher(relay.PublisherOptions{Name: conn.Name(), Store: rt.Store, Conn: conn.Conn(), Bus: rt.Bus, Logf: logf})
	if err != nil {
		return nil, err
	}
	facade := api.New(rt.Manager, api.ProcessService{Policy: rt.Policy, Supervisor: rt.Supervisor},
		api.WithEventLog(rt.Store), api.WithSessionTitles(rt.Store), api.WithUsage(rt.Store))
	srv, err := relay.ServeRPC(conn.Conn(), conn.Name(), facade, relay.RPCOptions{})
	if err != nil {
		pub.Close()
		return nil, err
	}
	return func() {
		srv.Close()
		if err := pub.Close(); err != nil {
			log.Warn("relay: writing the watermarks", "err", err)
		}
	}, nil
}
