package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/supervise"
)

func init() {
	register("run", &command{
		Summary: "run one command and stream its output: corral run [flags] -- CMD ARGS...",
		Run:     runCommand,
	})
}

// jsonExit is the last line of `corral run --json`.
type jsonExit struct {
	Stream  string    `json:"stream"` // "exit"
	Time    time.Time `json:"time"`
	Code    int       `json:"code"`
	Signal  string    `json:"signal,omitempty"`
	Stopped bool      `json:"stopped,omitempty"`
	// Reason says why the command ended (exit, killed, timeout,
	// idle-timeout, output-limit, crashed); Limit which timeout or which
	// output cap (max_output, max_stream_output:stdout|stderr) hit.
	Reason   string `json:"reason,omitempty"`
	Limit    string `json:"limit,omitempty"`
	Restarts int    `json:"restarts,omitempty"`
}

func runCommand(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", g, stderr)
	asJSON := fs.Bool("json", false, "print every output line as one JSON event instead of passing bytes through")
	dir := fs.String("cwd", "", "working `directory` of the command")
	grace := fs.Duration("grace", proc.DefaultGrace, "how long a stop waits after SIGTERM before SIGKILL")
	timeout := fs.Duration("timeout", 0, "stop the command after it ran this long in total (0: no limit)")
	idle := fs.Duration("idle-timeout", 0, "stop the command after this long without output (0: no limit)")
	restart := fs.String("restart", string(supervise.RestartNever), "restart `policy` after an exit corral did not ask for: never, on-failure or always")
	capName := fs.String("capability", "", "run the configured capability `NAME` with the arguments after --, through the policy check")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: corral run [flags] -- CMD ARGS...\n       corral run [flags] --capability NAME -- ARGS...")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	rest := fs.Args()
	if len(rest) == 0 && *capName == "" {
		fs.Usage()
		return 2
	}
	restartMode := supervise.Restart(*restart)
	switch restartMode {
	case supervise.RestartNever, supervise.RestartOnFailure, supervise.RestartAlways:
	default:
		fmt.Fprintf(stderr, "corral: --restart must be never, on-failure or always, not %q\n", *restart)
		return 2
	}
	spec, limits, code := runSpec(g, *capName, rest, *dir, timeout, idle, stderr)
	if code != 0 {
		return code
	}
	// Output reaches the terminal through the supervisor's Tap, on the
	// reading goroutine: byte-exact, and a slow terminal slows the child
	// exactly as it would without corral. The JSON writer is shared with
	// the restart notices, which come from the event goroutine.
	var tap proc.Sink
	var jw *jsonWriter
	if *asJSON {
		jw = newJSONWriter(stdout)
		defer jw.close()
		tap = jw.output
	} else {
		spec.Output = proc.Chunks
		tap = func(o proc.Output) {
			if o.Stream == proc.Stderr {
				stderr.Write(o.Bytes)
			} else {
				stdout.Write(o.Bytes)
			}
		}
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	onEvent := func(event.Event) {}
	if jw != nil {
		onEvent = announceRestarts(jw)
	}
	sv, ledger := startSupervisor(g, stderr, onEvent)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), *grace+5*time.Second)
		defer cancel()
		sv.Shutdown(sctx)
		if ledger != nil {
			ledger.Close()
		}
	}()

	p, err := sv.Start(supervise.Spec{
		Spec:           spec,
		Owner:          supervise.Owner{Kind: "cli", ID: "run"},
		Restart:        supervise.RestartPolicy{Mode: restartMode},
		Timeout:        *timeout,
		IdleTimeout:    *idle,
		StopGrace:      *grace,
		Tap:            tap,
		NoOutputEvents: true,
		// The capability's output caps: past one, the command is stopped
		// and nothing more is copied to corral's stdout or stderr.
		MaxOutput:       limits.MaxOutput,
		MaxStreamOutput: limits.MaxStreamOutput,
	})
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return 1
	}
	go pumpStdin(p, os.Stdin)

	// The child has its own process group, so a terminal's Ctrl-C reaches
	// only corral: the first signal stops the child's whole tree gracefully
	// (and cancels any restart), a second one kills it at once.
	return waitRun(ctx, p, sigs, jw, *capName, limits, stderr)
}

// announceRestarts returns the supervisor's event sink of `corral run
// --json`: a restart is announced between the runs' lines.
func announceRestarts(jw *jsonWriter) func(event.Event) {
	return func(ev event.Event) {
		// With --json a restart is announced between the runs' lines.
		if ev.Kind != event.ProcessState {
			return
		}
		var st struct {
			State    string `json:"state"`
			DelayMs  int64  `json:"delayMs"`
			Reason   string `json:"reason"`
			Code     int    `json:"code"`
			Signal   int    `json:"signal"`
			Failures int    `json:"failures"`
		}
		if json.Unmarshal(ev.Data, &st) != nil || st.State != string(supervise.StateBackoff) {
			return
		}
		jw.value(jsonBackoff{Stream: "restart", Time: ev.Time, DelayMs: st.DelayMs, Reason: st.Reason, Code: st.Code, Failures: st.Failures})
	}
}

// waitRun waits for the run's end and returns its exit code: the first
// signal stops the child's whole tree gracefully (and cancels any
// restart), a second one kills it at once. With --json (jw not nil) the
// exit line ends the output.
func waitRun(ctx context.Context, p *supervise.Process, sigs <-chan os.Signal, jw *jsonWriter, capName string, limits policy.Limits, stderr io.Writer) int {
	stopping := false
	for {
		select {
		case <-p.Done():
			r := p.Wait()
			if r.Reason == supervise.ReasonSpawnFailed {
				fmt.Fprintf(stderr, "corral: %v\n", r.Err)
				var sf *proc.SpawnFailed
				if errors.As(r.Err, &sf) && sf.Reason == "not found" {
					return 127
				}
				return 126
			}
			st := r.Exit
			if r.Reason == supervise.ReasonOutputLimit {
				fmt.Fprint(stderr, outputLimitMessage(capName, r.Limit, limits))
			}
			if jw != nil {
				jw.value(jsonExit{Stream: "exit", Time: st.Ended, Code: st.ShellCode(), Signal: st.SignalName,
					Stopped: r.Reason != supervise.ReasonExit && r.Reason != supervise.ReasonCrashed,
					Reason:  r.Reason, Limit: r.Limit, Restarts: r.Restarts})
			}
			return st.ShellCode()
		case <-sigs:
			if stopping {
				p.Kill()
				continue
			}
			stopping = true
			p.Stop()
		case <-ctx.Done():
			p.Kill()
		}
	}
}

// runSpec is the process spec of `corral run`: the command after --, or
// the capability capName with those arguments through the policy check;
// then the capability's limits (zero, no output cap, otherwise), which
// also lower *timeout and *idle. code is not 0 when the run must end with
// it.
func runSpec(g *globals, capName string, rest []string, dir string, timeout, idle *time.Duration, stderr io.Writer) (spec proc.Spec, limits policy.Limits, code int) {
	if capName != "" {
		// A capability decides the program, the arguments, the directory
		// and the environment; the caller only supplies checked arguments.
		res, code := resolveCapability(g, capName, rest, dir, stderr)
		if code != 0 {
			return proc.Spec{}, policy.Limits{}, code
		}
		spec = proc.Spec{Program: res.Program, Args: res.Args, Dir: res.Dir, Env: res.Env, Stdin: proc.StdinPipe, MaxLine: int(res.Limits.MaxLine)}
		limits = res.Limits
		if *timeout == 0 || (res.Limits.Timeout > 0 && *timeout > res.Limits.Timeout) {
			*timeout = res.Limits.Timeout
		}
		if *idle == 0 || (res.Limits.IdleTimeout > 0 && *idle > res.Limits.IdleTimeout) {
			*idle = res.Limits.IdleTimeout
		}
	} else {
		spec = proc.Spec{
			Program: rest[0],
			Args:    rest[1:],
			Dir:     dir,
			// The user runs this command from their own shell: passing that
			// shell's environment is the explicit choice here.
			Env:   os.Environ(),
			Stdin: proc.StdinPipe,
		}
	}
	return spec, limits, 0
}

// outputLimitMessage tells why corral stopped a capability's command that
// wrote past an output cap: otherwise its output would just end mid-line.
func outputLimitMessage(capName, limit string, l policy.Limits) string {
	name, stream, _ := strings.Cut(limit, ":")
	allowed := fmt.Sprintf("%s of output (max_output, stdout and stderr together)", policy.FormatSize(l.MaxOutput))
	if name == supervise.LimitMaxStreamOutput {
		allowed = fmt.Sprintf("%s on %s (max_stream_output)", policy.FormatSize(l.MaxStreamOutput), stream)
	}
	return fmt.Sprintf("corral: output limit reached: capability %q allows %s; the command was stopped and the rest of its output discarded\n",
		capName, allowed)
}

// jsonBackoff is the line `corral run --json` prints when the command is
// about to be restarted.
type jsonBackoff struct {
	Stream   string    `json:"stream"` // "restart"
	Time     time.Time `json:"time"`
	DelayMs  int64     `json:"delayMs"`
	Reason   string    `json:"reason"`
	Code     int       `json:"code"`
	Failures int       `json:"failures"`
}

// startSupervisor returns the supervisor of a CLI command: it sweeps what a
// killed corral left behind (saying so on stderr), records its children in
// the data directory's ledger, starts the watchdog that kills them should
// corral be killed, and becomes a child subreaper on Linux. Each of these is
// best effort: a command still runs when the data directory is unusable.
func startSupervisor(g *globals, stderr io.Writer, sink func(event.Event)) (*supervise.Supervisor, *supervise.FileLedger) {
	cfg := supervise.Config{Sink: sink, MonitorInterval: -1, Subreaper: runtime.GOOS == "linux"}
	var ledger *supervise.FileLedger
	if dir, err := supervisorDataDir(g); err == nil {
		if l, err := supervise.NewFileLedger(dir); err == nil {
			ledger = l
			// The ledger must survive corral's death, not the machine's.
			l.NoSync = true
			cfg.Ledger = l
			swept, _ := supervise.Sweep(l)
			for _, sw := range swept {
				if len(sw.Killed) > 0 {
					fmt.Fprintf(stderr, "corral: killed %d process(es) left by corral pid %d: %s (%v)\n",
						len(sw.Killed), sw.Entry.Supervisor, sw.Entry.Command, sw.Killed)
				}
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		cfg.Watchdog = []string{exe, supervise.WatchdogArg}
		cfg.WatchdogEnv = os.Environ()
	}
	sv, err := supervise.New(cfg)
	if err != nil {
		// Without the watchdog or the subreaper the command still runs;
		// the parent-death signal and the ledger remain.
		cfg.Watchdog, cfg.Subreaper = nil, false
		sv, _ = supervise.New(cfg)
	}
	return sv, ledger
}

// pumpStdin copies corral's stdin to the child until EOF, then closes the
// child's stdin. It stops quietly when the child can no longer read.
func pumpStdin(p interface {
	Write([]byte) (int, error)
	CloseStdin() error
}, in io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if _, werr := p.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			p.CloseStdin()
			return
		}
	}
}

// resolveCapability checks a capability run against the configured policy.
// It returns a non-zero exit code after printing the denial when the policy
// refuses it.
func resolveCapability(g *globals, name string, args []string, dir string, stderr io.Writer) (policy.Resolved, int) {
	_, pol, err := loadPolicy(g)
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return policy.Resolved{}, 2
	}
	if dir != "" {
		if dir, err = filepath.Abs(dir); err != nil {
			fmt.Fprintf(stderr, "corral: %v\n", err)
			return policy.Resolved{}, 2
		}
	}
	res, err := pol.Check(policy.Request{Capability: name, Args: args, Cwd: dir})
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return policy.Resolved{}, 126
	}
	return res, 0
}
