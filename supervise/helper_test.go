package supervise

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/proctest"
	"github.com/corral-dev/corral/proc"
	"go.uber.org/goleak"
)

// The test binary is also every fake child: when helperEnv is set, TestMain
// runs the named mode instead of the tests.
const helperEnv = "CORRAL_SUPERVISE_HELPER"

// osHelpers runs modes that exist only on some systems (set by an init).
var osHelpers = func(string, []string) (int, bool) { return 0, false }

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if code, ok := osHelpers(mode, os.Args[1:]); ok {
			os.Exit(code)
		}
		os.Exit(helperMain(mode, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

func helperMain(mode string, args []string) int {
	out := os.Stdout
	switch mode {
	case "exit": // exit with the code in args[0]
		code, _ := strconv.Atoi(args[0])
		return code
	case "sleep":
		fmt.Fprintln(out, "ready")
		time.Sleep(time.Hour)
	case "echo": // copy stdin lines to stdout until EOF
		io.Copy(out, os.Stdin)
	case "sleep-quiet":
		time.Sleep(time.Hour)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Fprintln(out, "ready")
		time.Sleep(time.Hour)
	case "json": // a banner, then a JSON line, then sleep
		fmt.Fprintln(out, "starting up")
		fmt.Fprintln(out, `{"ready":true}`)
		time.Sleep(time.Hour)
	case "flood": // N numbered lines as fast as possible
		n, _ := strconv.Atoi(args[0])
		var b bytes.Buffer
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "line %d\n", i)
			if b.Len() > 32<<10 {
				out.Write(b.Bytes())
				b.Reset()
			}
		}
		out.Write(b.Bytes())
	case "flood-forever": // 10-byte lines to args[0] (stdout, stderr or both) until killed
		if len(args) > 1 && args[1] == "ignore-term" {
			signal.Ignore(syscall.SIGTERM)
		}
		line := []byte("xxxxxxxxx\n")
		batch := bytes.Repeat(line, 100)
		for {
			switch args[0] {
			case "stdout":
				out.Write(batch)
			case "stderr":
				os.Stderr.Write(batch)
			default:
				out.Write(line)
				os.Stderr.Write(line)
			}
		}
	case "spin": // burn CPU for args[0] (a duration), then sleep
		d, _ := time.ParseDuration(args[0])
		fmt.Fprintln(out, "ready")
		end := time.Now().Add(d)
		x := 0
		for time.Now().Before(end) {
			x++
		}
		time.Sleep(time.Hour)
	case "alloc": // hold args[0] MiB, then sleep
		n, _ := strconv.Atoi(args[0])
		b := make([]byte, n<<20)
		for i := range b {
			b[i] = 1
		}
		fmt.Fprintln(out, "ready")
		time.Sleep(time.Hour)
		_ = b[0]
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		return 2
	}
	return 0
}

// helper returns the spec that runs helper mode with args, carrying mark.
func helper(mark, mode string, args ...string) proc.Spec {
	exe, _ := os.Executable()
	return proc.Spec{Program: exe, Args: args, Env: []string{helperEnv + "=" + mode, mark}}
}

// startHelper returns a plain (unsupervised) child running mode. It
// inherits the environment, as real programs' children do, with the mode
// and mark set.
func startHelper(mark, mode string, attr *syscall.SysProcAttr) *exec.Cmd {
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, mark)
	cmd.SysProcAttr = attr
	return cmd
}

// recorder is an event sink for tests.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) sink(ev event.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) all() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.events...)
}

// waitFor waits until an event matching f was recorded and returns it. The
// limit only keeps a broken test from hanging; no timing is asserted.
func (r *recorder) waitFor(t testing.TB, what string, f func(event.Event) bool) event.Event {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		for _, ev := range r.all() {
			if f(ev) {
				return ev
			}
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("no %s event; got %s", what, r.describe())
		}
	}
}

func (r *recorder) describe() string {
	var b bytes.Buffer
	for _, ev := range r.all() {
		fmt.Fprintf(&b, "\n  %s %s %s", ev.ProcessID, ev.Kind, ev.Data)
	}
	return b.String()
}

// stateIs matches a process.state event of process id with state st.
func stateIs(id string, st State) func(event.Event) bool {
	return func(ev event.Event) bool {
		if ev.ProcessID != id || ev.Kind != event.ProcessState {
			return false
		}
		var d struct{ State string }
		json.Unmarshal(ev.Data, &d)
		return d.State == string(st)
	}
}

func count(evs []event.Event, id, kind string) int {
	n := 0
	for _, ev := range evs {
		if ev.ProcessID == id && ev.Kind == kind {
			n++
		}
	}
	return n
}

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{}
}

type fakeTimer struct {
	c  *fakeClock
	at time.Time
	d  time.Duration
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), d: d, ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	close(c.changed)
	c.changed = make(chan struct{})
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			keep = append(keep, t)
		}
	}
	c.timers = keep
}

// waitTimer waits until a timer of duration d is pending.
func (c *fakeClock) waitTimer(t testing.TB, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ch := c.changed
		for _, x := range c.timers {
			if x.d == d {
				c.mu.Unlock()
				return
			}
		}
		var pending []time.Duration
		for _, x := range c.timers {
			pending = append(pending, x.d)
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no timer of %v pending (pending: %v)", d, pending)
		}
	}
}

// newTestSupervisor returns a supervisor shut down (and checked for
// leftover processes carrying mark) when the test ends.
func newTestSupervisor(t *testing.T, cfg Config) (*Supervisor, *recorder, string) {
	t.Helper()
	mark := proctest.NewMark()
	rec := newRecorder()
	if cfg.Sink == nil {
		cfg.Sink = rec.sink
	}
	if cfg.MonitorInterval == 0 {
		cfg.MonitorInterval = -1
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		proctest.RequireGone(t, mark)
	})
	return s, rec, mark
}

// decodeOutput returns the bytes of a stdout/stderr event's data.
func decodeOutput(data json.RawMessage) ([]byte, error) {
	var v struct {
		Text   string `json:"text"`
		Bytes  string `json:"bytes"`
		Binary bool   `json:"binary"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v.Binary {
		return base64.StdEncoding.DecodeString(v.Bytes)
	}
	return []byte(v.Text), nil
}
