package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/proc"
)

func init() {
	register("run", &command{
		Summary: "run one command and stream its output: corral run [flags] -- CMD ARGS...",
		Run:     runCommand,
	})
}

// jsonOutput is one line of `corral run --json`.
type jsonOutput struct {
	Stream    string    `json:"stream"`
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Text      *string   `json:"text,omitempty"`
	Bytes     []byte    `json:"bytes,omitempty"` // base64 in JSON, for lines that are not UTF-8
	Binary    bool      `json:"binary,omitempty"`
	Continued bool      `json:"continued,omitempty"`
	Progress  bool      `json:"progress,omitempty"`
	Partial   bool      `json:"partial,omitempty"`
}

// jsonExit is the last line of `corral run --json`.
type jsonExit struct {
	Stream  string    `json:"stream"` // "exit"
	Time    time.Time `json:"time"`
	Code    int       `json:"code"`
	Signal  string    `json:"signal,omitempty"`
	Stopped bool      `json:"stopped,omitempty"`
}

func runCommand(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", g, stderr)
	asJSON := fs.Bool("json", false, "print every output line as one JSON event instead of passing bytes through")
	dir := fs.String("cwd", "", "working `directory` of the command")
	grace := fs.Duration("grace", proc.DefaultGrace, "how long a stop waits after SIGTERM before SIGKILL")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: corral run [flags] -- CMD ARGS...")
		fs.PrintDefaults()
	}
	if fs.Parse(args) != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	spec := proc.Spec{
		Program: rest[0],
		Args:    rest[1:],
		Dir:     *dir,
		// The user runs this command from their own shell: passing that
		// shell's environment is the explicit choice here.
		Env:   os.Environ(),
		Stdin: proc.StdinPipe,
	}
	var sink proc.Sink
	enc := json.NewEncoder(stdout)
	if *asJSON {
		sink = func(o proc.Output) {
			j := jsonOutput{Stream: o.Stream.String(), Seq: o.Seq, Time: o.Time,
				Continued: o.Continued, Progress: o.Progress, Partial: o.Partial}
			if utf8.Valid(o.Bytes) {
				s := string(o.Bytes)
				j.Text = &s
			} else {
				j.Bytes, j.Binary = o.Bytes, true
			}
			enc.Encode(j)
		}
	} else {
		spec.Output = proc.Chunks
		sink = func(o proc.Output) {
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

	p, err := proc.Start(spec, sink)
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		var sf *proc.SpawnFailed
		if errors.As(err, &sf) && sf.Reason == "not found" {
			return 127
		}
		return 126
	}
	go pumpStdin(p, os.Stdin)

	// The child has its own process group, so a terminal's Ctrl-C reaches
	// only corral: the first signal stops the child's whole tree gracefully,
	// a second one kills it at once.
	stopping := false
	for {
		select {
		case <-p.Done():
			st, _ := p.Wait()
			if *asJSON {
				enc.Encode(jsonExit{Stream: "exit", Time: st.Ended, Code: st.ShellCode(), Signal: st.SignalName, Stopped: st.Stopped})
			}
			return st.ShellCode()
		case <-sigs:
			if stopping {
				p.Kill()
				continue
			}
			stopping = true
			go p.Stop(*grace)
		case <-ctx.Done():
			p.Kill()
		}
	}
}

// pumpStdin copies corral's stdin to the child until EOF, then closes the
// child's stdin. It stops quietly when the child can no longer read.
func pumpStdin(p *proc.Process, in io.Reader) {
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
