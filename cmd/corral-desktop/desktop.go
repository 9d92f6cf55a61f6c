//go:build desktop

package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/menu"
	"github.com/wailsapp/wails/v2/pkg/menu/keys"
	wopts "github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/corral-dev/corral/api"
	bind "github.com/corral-dev/corral/cmd/corral-desktop/internal/api"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/supervise"
	"github.com/corral-dev/corral/web"
)

//go:embed icon.png
var icon []byte

// shutdownGrace bounds the whole shutdown: the supervisor's own grace
// period per process tree (terminate, wait, kill) fits well inside it.
const shutdownGrace = 20 * time.Second

func main() {
	if len(os.Args) > 1 && os.Args[1] == supervise.WatchdogArg {
		// The supervisor re-executes this binary as its watchdog, which
		// kills every managed process tree if the app dies (even by
		// SIGKILL). It must not touch the window toolkit.
		os.Exit(supervise.RunWatchdog(os.Stdin))
	}
	os.Exit(runDesktop(os.Args[1:]))
}

func runDesktop(args []string) int {
	started := time.Now()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		return exitCode(err, true)
	}
	if err := displayAvailable(); err != nil {
		fmt.Fprintln(os.Stderr, "corral-desktop:", err)
		return 1
	}
	in, err := claimInstance(o.Data, 5*time.Second)
	if errors.Is(err, errAlreadyRunning) {
		fmt.Fprintln(os.Stderr, "corral-desktop:", err)
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "corral-desktop:", err)
		return 1
	}
	defer in.Close()

	be, err := openBackend(context.Background(), o, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "corral-desktop:", err)
		return 1
	}
	log.Info("core started", "ms", time.Since(started).Milliseconds())
	a := &desktop{opts: o, be: be, in: in, log: log, started: started, smoke: smokeFromEnv(started)}
	err = runWindow(a.appOptions())
	// OnShutdown normally closed the backend already; this covers a
	// window that never opened (GTK or WebKit failed to start).
	a.shutdown(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "corral-desktop:", err)
		return 1
	}
	return a.exitCode()
}

// runWindow runs the Wails application. Wails panics when the toolkit
// cannot start (GTK without a usable display); that is turned into an error
// so the core behind the window is still shut down in order: its processes
// stopped, the store flushed, the watchdog dismissed.
func runWindow(o *wopts.App) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the window could not start: %v", r)
		}
	}()
	return wails.Run(o)
}

// desktop is the running window and the core behind it.
type desktop struct {
	opts    options
	be      *backend
	in      *instance
	log     *slog.Logger
	started time.Time
	smoke   *smokeRun

	mu        sync.Mutex
	ctx       context.Context // Wails' context, set at start-up
	stopLoops context.CancelFunc
	loops     sync.WaitGroup
	notifyOK  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

func (a *desktop) wailsCtx() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

func (a *desktop) appOptions() *wopts.App {
	ws := loadWindowState(a.opts.Data)
	ws = fitToScreen(ws, nil)
	shell := &Shell{
		ctx:      a.wailsCtx,
		facade:   a.be.API,
		versions: buildVersions(),
		pickDir: func(ctx context.Context, title, start string) (string, error) {
			return runtime.OpenDirectoryDialog(ctx, runtime.OpenDialogOptions{
				Title: title, DefaultDirectory: start, CanCreateDirectories: true,
			})
		},
		showInfo: func(ctx context.Context, title, msg string) error {
			_, err := runtime.MessageDialog(ctx, runtime.MessageDialogOptions{
				Type: runtime.InfoDialog, Title: title, Message: msg,
			})
			return err
		},
	}
	start := wopts.Normal
	if ws.Maximised {
		start = wopts.Maximised
	}
	return &wopts.App{
		Title:            "corral",
		Width:            ws.Width,
		Height:           ws.Height,
		MinWidth:         minWidth,
		MinHeight:        minHeight,
		WindowStartState: start,
		BackgroundColour: wopts.NewRGB(0xff, 0xff, 0xff),
		AssetServer:      &assetserver.Options{Assets: web.FS()},
		Menu:             a.menu(shell),
		Bind:             []any{bind.New(a.be.API, a.wailsCtx), shell},
		ErrorFormatter:   bind.FormatError,
		OnStartup:        func(ctx context.Context) { a.startup(ctx, ws) },
		OnDomReady:       a.domReady,
		OnBeforeClose:    a.beforeClose,
		OnShutdown:       a.shutdown,
		Linux:            &linux.Options{Icon: icon, ProgramName: "corral-desktop"},
	}
}

func (a *desktop) menu(shell *Shell) *menu.Menu {
	m := menu.NewMenu()
	app := m.AddSubmenu("corral")
	app.AddText("About corral", nil, func(*menu.CallbackData) {
		go func() {
			if _, err := shell.ShowAbout(api.Empty{}); err != nil {
				a.log.Warn("about box", "err", err)
			}
		}()
	})
	app.AddSeparator()
	app.AddText("Quit", keys.CmdOrCtrl("q"), func(*menu.CallbackData) {
		runtime.Quit(a.wailsCtx())
	})
	m.Append(menu.EditMenu())
	return m
}

// startup runs once the window exists: restore its position, start
// forwarding events and focus requests.
func (a *desktop) startup(ctx context.Context, ws windowState) {
	a.mu.Lock()
	a.ctx = ctx
	loops, stop := context.WithCancel(ctx)
	a.stopLoops = stop
	a.mu.Unlock()

	if screens, err := runtime.ScreenGetAll(ctx); err == nil {
		var ss []screen
		for _, s := range screens {
			ss = append(ss, screen{Width: s.Size.Width, Height: s.Size.Height, Primary: s.IsPrimary})
		}
		fitted := fitToScreen(ws, ss)
		if fitted.Width != ws.Width || fitted.Height != ws.Height {
			runtime.WindowSetSize(ctx, fitted.Width, fitted.Height)
		}
		ws = fitted
	}
	if ws.Valid && ws.HasPosition && !ws.Maximised {
		runtime.WindowSetPosition(ctx, ws.X, ws.Y)
	}

	nt := newNotifier(func(n notification) error {
		if !a.notifyOK.Load() {
			return nil
		}
		return runtime.SendNotification(ctx, runtime.NotificationOptions{ID: n.ID, Title: n.Title, Body: n.Body})
	})

	since, err := a.be.Head()
	if err != nil {
		a.log.Warn("reading the event head; the window receives events from the start", "err", err)
		since = 0
	}
	br := &bridge{
		src:  a.be.Events,
		emit: func(ev event.Event) { runtime.EventsEmit(ctx, wailsEventName, ev) },
		observe: func(ev event.Event) {
			if err := nt.observe(ev); err != nil {
				a.log.Debug("notification", "err", err)
			}
		},
		retry: time.Second,
	}
	a.loops.Add(3)
	go func() {
		// Native notifications need a session bus on Linux; without one
		// the app works, silently. Connecting may spawn dbus-launch, so it
		// is kept off the start-up path.
		defer a.loops.Done()
		if err := runtime.InitializeNotifications(ctx); err != nil {
			a.log.Info("native notifications unavailable", "err", err)
		} else {
			a.notifyOK.Store(true)
		}
	}()
	go func() {
		defer a.loops.Done()
		br.run(loops, since)
	}()
	go func() {
		defer a.loops.Done()
		for {
			select {
			case <-loops.Done():
				return
			case <-a.in.Focus():
				// A second launch: bring this window forward.
				runtime.WindowUnminimise(ctx)
				runtime.WindowShow(ctx)
				runtime.WindowSetAlwaysOnTop(ctx, true)
				runtime.WindowSetAlwaysOnTop(ctx, false)
				a.log.Info("focused by a second launch")
			}
		}
	}()
	if a.smoke != nil {
		a.smoke.listen(ctx, a.log)
	}
}

func (a *desktop) domReady(ctx context.Context) {
	a.log.Info("domready", "ms", time.Since(a.started).Milliseconds())
	if a.smoke != nil {
		a.smoke.inject(ctx)
	}
}

// beforeClose remembers the window's geometry; closing is never refused.
func (a *desktop) beforeClose(ctx context.Context) bool {
	ws := windowState{Maximised: runtime.WindowIsMaximised(ctx)}
	if ws.Maximised {
		// keep the restored size from last time
		prev := loadWindowState(a.opts.Data)
		ws.X, ws.Y, ws.Width, ws.Height, ws.HasPosition = prev.X, prev.Y, prev.Width, prev.Height, prev.HasPosition
	} else {
		ws.Width, ws.Height = runtime.WindowGetSize(ctx)
		ws.X, ws.Y = runtime.WindowGetPosition(ctx)
		ws.HasPosition = true
	}
	if err := saveWindowState(a.opts.Data, ws); err != nil {
		a.log.Warn("saving the window geometry", "err", err)
	}
	return false
}

// shutdown stops the event loops, then every managed process tree and the
// store. Wails calls it after the window closed; runDesktop calls it again
// (a no-op) in case the window never opened.
func (a *desktop) shutdown(_ context.Context) {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		stop, ctx := a.stopLoops, a.ctx
		a.mu.Unlock()
		if stop != nil {
			stop()
		}
		a.loops.Wait()
		if a.notifyOK.Load() && ctx != nil {
			runtime.CleanupNotifications(ctx)
		}
		c, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		t0 := time.Now()
		a.closeErr = a.be.Close(c)
		a.log.Info("shutdown complete", "ms", time.Since(t0).Milliseconds(), "err", a.closeErr)
		a.in.Close()
	})
}

func (a *desktop) exitCode() int {
	if a.closeErr != nil {
		return 1
	}
	if a.smoke != nil && !a.smoke.passed() {
		return 3
	}
	return 0
}
