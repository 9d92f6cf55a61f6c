package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	goruntime "runtime"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/internal/datalock"
	"github.com/corral-dev/corral/schedule"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/supervise"
)

// openBackend starts the same runtime as corral serve over o's data
// directory and configuration: the orphan sweep of the ledger, the store's
// crash recovery, the supervisor with its watchdog (this executable
// re-executed with supervise.WatchdogArg) and the session manager.
func openBackend(ctx context.Context, o options, log *slog.Logger) (*backend, error) {
	cfg, err := loadConfig(o.Config)
	if err != nil {
		return nil, err
	}
	var watchdog []string
	if exe, err := os.Executable(); err == nil {
		watchdog = []string{exe, supervise.WatchdogArg}
	} else {
		log.Warn("no watchdog: cannot find this executable", "err", err)
	}
	// One corral per data directory: a corral serve (or another desktop
	// app, before its window claim) on it keeps it.
	lock, err := datalock.Acquire(o.Data, "corral-desktop")
	if err != nil {
		var held *datalock.HeldError
		if errors.As(err, &held) {
			return nil, fmt.Errorf("%w; stop it first, or pick another data directory with --data", held)
		}
		return nil, err
	}
	rt, err := session.OpenRuntime(ctx, o.Data, cfg, session.RuntimeOptions{
		Watchdog:  watchdog,
		Subreaper: goruntime.GOOS == "linux",
		Logger:    log,
	})
	if err != nil {
		lock.Release()
		return nil, err
	}
	if len(rt.Swept) > 0 {
		log.Info("killed processes a previous corral left behind", "count", len(rt.Swept))
	}
	if n := len(rt.Recovered.InterruptedSessions) + len(rt.Recovered.ClosedRuns); n > 0 {
		log.Info("recovered from an unclean stop", "sessions", rt.Recovered.InterruptedSessions, "runs", len(rt.Recovered.ClosedRuns))
	}
	// The idle-session janitor, as in corral serve; Manager.Shutdown
	// (inside rt.Close) stops it.
	tick := time.NewTicker(15 * time.Second)
	rt.Manager.StartJanitor(tick.C)
	sched, err := schedule.StartRuntime(ctx, rt, log) // rt.Close closes it
	if err != nil {
		tick.Stop()
		rt.Close(ctx) // error ignored: the start-up error is the one to report
		lock.Release()
		return nil, err
	}
	return &backend{
		// The same facade and event source corral serve builds, so every
		// call behaves the same in the window and in a browser.
		API: api.New(rt.Manager, api.ProcessService{Policy: rt.Policy, Supervisor: rt.Supervisor}, api.WithEventLog(rt.Store), api.WithSessionTitles(rt.Store), api.WithUsage(rt.Store),
			api.WithConfigReload(rt.Reload), api.WithScheduler(sched)),
		Events: api.BusSource{Bus: rt.Bus},
		Head:   rt.Store.LastCursor,
		Close: func(ctx context.Context) error {
			defer tick.Stop()
			defer lock.Release() // after the store is flushed and closed
			return rt.Close(ctx)
		},
	}, nil
}

// loadConfig reads the configuration: the --config file, which must exist,
// or else the default file if there is one, or else the empty
// configuration (the built-in agents, no capabilities).
func loadConfig(path string) (*config.Config, error) {
	if path != "" {
		return config.Load(path)
	}
	def, err := config.DefaultPath()
	if err != nil {
		return &config.Config{}, nil
	}
	if _, err := os.Stat(def); errors.Is(err, fs.ErrNotExist) {
		return &config.Config{}, nil
	}
	c, err := config.Load(def)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", def, err)
	}
	return c, nil
}
