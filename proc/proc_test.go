package proc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
)

// collector is a Sink that keeps copies of everything.
type collector struct {
	mu  sync.Mutex
	out []Output
}

func (c *collector) sink(o Output) {
	c.mu.Lock()
	o.Bytes = append([]byte(nil), o.Bytes...)
	c.out = append(c.out, o)
	c.mu.Unlock()
}

func (c *collector) lines(s StreamID) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var l []string
	for _, o := range c.out {
		if o.Stream == s {
			l = append(l, string(o.Bytes))
		}
	}
	return l
}

func (c *collector) bytes(s StreamID) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b []byte
	for _, o := range c.out {
		if o.Stream == s {
			b = append(b, o.Bytes...)
		}
	}
	return b
}

// helperSpec returns a spec that runs this test binary in mode, marked so
// that leftovers can be found, and registers the leftover check.
func helperSpec(t *testing.T, mode string, args ...string) Spec {
	t.Helper()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Program: exe,
		Args:    args,
		Env:     []string{helperEnv + "=" + mode, mark, "PATH=/usr/bin:/bin"},
	}
}

func shSpec(t *testing.T, script string) Spec {
	t.Helper()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	return Spec{Program: "sh", Args: []string{"-c", script}, Env: []string{mark, "PATH=/usr/bin:/bin"}}
}

func mustStart(t *testing.T, spec Spec, sink Sink) *Process {
	t.Helper()
	p, err := Start(spec, sink)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		p.Kill()
		p.Wait()
	})
	return p
}

func TestLinesStreamsAndExitCode(t *testing.T) {
	var c collector
	p := mustStart(t, helperSpec(t, "echo", "3"), c.sink)
	st, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.Code != 3 || st.Signaled() || st.ShellCode() != 3 {
		t.Fatalf("status = %+v, want code 3", st)
	}
	if got := c.lines(Stdout); len(got) != 1 || got[0] != "hi" {
		t.Errorf("stdout = %q", got)
	}
	if got := c.lines(Stderr); len(got) != 1 || got[0] != "err" {
		t.Errorf("stderr = %q", got)
	}
	for i, o := range c.out {
		if o.Seq != uint64(i+1) {
			t.Errorf("output %d has seq %d", i, o.Seq)
		}
		if o.Time.IsZero() {
			t.Errorf("output %d has no time", i)
		}
	}
}

func TestEnvironmentIsExactlyTheSpec(t *testing.T) {
	t.Setenv("CORRAL_SECRET_SHOULD_NOT_LEAK", "x")
	var c collector
	spec := helperSpec(t, "env")
	p := mustStart(t, spec, c.sink)
	p.Wait()
	got := c.lines(Stdout)
	want := map[string]bool{}
	for _, kv := range spec.Env {
		want[kv] = true
	}
	for _, kv := range got {
		if !want[kv] {
			t.Errorf("child saw %q, which the spec did not give", kv)
		}
	}
	if len(got) != len(spec.Env) {
		t.Errorf("child env has %d entries, spec %d: %q", len(got), len(spec.Env), got)
	}
}

func TestStdinPipe(t *testing.T) {
	var c collector
	spec := helperSpec(t, "cat")
	spec.Stdin = StdinPipe
	p := mustStart(t, spec, c.sink)
	if _, err := p.Write([]byte("one\ntwo\n")); err != nil {
		t.Fatal(err)
	}
	if err := p.CloseStdin(); err != nil {
		t.Fatal(err)
	}
	st, _ := p.Wait()
	if !st.Success() {
		t.Fatalf("status %v", st)
	}
	if got := strings.Join(c.lines(Stdout), ","); got != "one,two" {
		t.Errorf("stdout = %q", got)
	}
	if _, err := p.Write([]byte("late")); !isStdinBroken(err) {
		t.Errorf("write after close: %v, want StdinBroken", err)
	}
}

func isStdinBroken(err error) bool {
	var sb *StdinBroken
	return errors.As(err, &sb)
}

func TestWriteToExitedChildIsStdinBroken(t *testing.T) {
	spec := helperSpec(t, "exit-now")
	spec.Stdin = StdinPipe
	p := mustStart(t, spec, nil)
	p.Wait()
	if _, err := p.Write([]byte("anyone there?\n")); !isStdinBroken(err) {
		t.Fatalf("err = %v, want *StdinBroken", err)
	}
}

func TestWriteWhileChildExitsNeverCrashes(t *testing.T) {
	spec := helperSpec(t, "exit-now")
	spec.Stdin = StdinPipe
	p := mustStart(t, spec, nil)
	chunk := bytes.Repeat([]byte("z"), 64<<10)
	var err error
	for i := 0; i < 64 && err == nil; i++ {
		_, err = p.Write(chunk)
	}
	if err != nil && !isStdinBroken(err) {
		t.Fatalf("err = %v, want nil or *StdinBroken", err)
	}
	p.Wait()
}

func TestNoStdinReadsEOF(t *testing.T) {
	var c collector
	p := mustStart(t, helperSpec(t, "cat"), c.sink)
	st, _ := p.Wait()
	if !st.Success() || len(c.out) != 0 {
		t.Fatalf("status %v, output %d", st, len(c.out))
	}
	if _, err := p.Write([]byte("x")); !errors.Is(err, ErrNoStdin) {
		t.Fatalf("err = %v, want ErrNoStdin", err)
	}
}

func TestTenMegabyteLineIsCutNeverLost(t *testing.T) {
	const n = 10 << 20
	var total int
	var parts, last int
	var lastContinued bool
	spec := helperSpec(t, "bigline", "10485760")
	p := mustStart(t, spec, func(o Output) {
		total += len(o.Bytes)
		parts++
		if len(o.Bytes) > last {
			last = len(o.Bytes)
		}
		lastContinued = o.Continued
	})
	p.Wait()
	if total != n {
		t.Fatalf("got %d bytes, want %d", total, n)
	}
	if parts != 10 || last != 1<<20 || lastContinued {
		t.Fatalf("parts=%d largest=%d lastContinued=%v, want 10 parts of 1 MiB", parts, last, lastContinued)
	}
}

func TestFloodIsReadCompletely(t *testing.T) {
	size := int64(64_000_000)
	if os.Getenv("CORRAL_LONG") == "1" && !testing.Short() {
		size = 1_000_000_000
	}
	var total, lines int64
	p := mustStart(t, helperSpec(t, "flood", strconv.Itoa(int(size))), func(o Output) {
		total += int64(len(o.Bytes)) + 1
		lines++
	})
	st, _ := p.Wait()
	if !st.Success() || total != size || lines != size/100 {
		t.Fatalf("status %v, %d bytes in %d lines, want %d bytes", st, total, lines, size)
	}
}

func TestInvalidUTF8AndNULArePreserved(t *testing.T) {
	for _, mode := range []OutputMode{Lines, Chunks} {
		var c collector
		spec := helperSpec(t, "binary")
		spec.Output = mode
		p := mustStart(t, spec, c.sink)
		p.Wait()
		want := "ok\xff\xfe\x00mid\x00\n\xc3\x28end\n"
		got := string(c.bytes(Stdout))
		if mode == Lines {
			got = strings.Join(c.lines(Stdout), "\n") + "\n"
		}
		if got != want {
			t.Errorf("mode %d: got %q, want %q", mode, got, want)
		}
	}
}

func TestProgressUpdatesAreCoalesced(t *testing.T) {
	var c collector
	p := mustStart(t, helperSpec(t, "progress"), c.sink)
	p.Wait()
	got := c.lines(Stdout)
	if len(got) == 0 || got[len(got)-1] != "done" {
		t.Fatalf("last line of %q is not done", got)
	}
	if len(got) > 100 {
		t.Fatalf("%d outputs for 1001 progress updates: not coalesced", len(got))
	}
	if got[len(got)-2] != "progress 100%" {
		t.Errorf("final progress state lost: %q", got[len(got)-2])
	}
}

func TestPartialLastLine(t *testing.T) {
	var c collector
	p := mustStart(t, helperSpec(t, "notrailing"), c.sink)
	p.Wait()
	if len(c.out) != 2 || string(c.out[1].Bytes) != "no newline at end" || !c.out[1].Partial || c.out[0].Partial {
		t.Fatalf("outputs = %+v", c.out)
	}
}

func TestChildClosingStdoutButRunningIsStopped(t *testing.T) {
	var c collector
	p := mustStart(t, helperSpec(t, "close-stdout-keep-running"), c.sink)
	waitLine(t, &c, "bye")
	st := p.Stop(2 * time.Second)
	if !st.Stopped || st.Signal != int(syscall.SIGTERM) {
		t.Fatalf("status %+v, want stopped by SIGTERM", st)
	}
}

func TestStopEscalatesToKillWhenTermIsIgnored(t *testing.T) {
	var c collector
	p := mustStart(t, helperSpec(t, "ignore-term"), c.sink)
	waitLine(t, &c, "ready")
	st := p.Stop(200 * time.Millisecond)
	if st.Signal != int(syscall.SIGKILL) || st.ShellCode() != 137 {
		t.Fatalf("status %+v, want SIGKILL", st)
	}
}

func TestGrandchildHoldingPipesDoesNotHangWait(t *testing.T) {
	var c collector
	spec := shSpec(t, "sleep 1000 & echo started")
	spec.WaitDelay = 100 * time.Millisecond
	p := mustStart(t, spec, c.sink)
	st, _ := p.Wait() // must return although sleep holds stdout
	if !st.Success() {
		t.Fatalf("status %v", st)
	}
	if got := c.lines(Stdout); len(got) != 1 || got[0] != "started" {
		t.Fatalf("stdout %q", got)
	}
}

func TestLeftoverGroupMembersAreKilledWhenLeaderExits(t *testing.T) {
	spec := shSpec(t, "sleep 1000 >/dev/null 2>&1 </dev/null & exit 0")
	p := mustStart(t, spec, nil)
	p.Wait()
	// shSpec's cleanup fails the test if the sleep survived.
}

func TestStopKillsTheWholeGroup(t *testing.T) {
	var c collector
	p := mustStart(t, shSpec(t, "sleep 1000 & sleep 1000 & echo up; wait"), c.sink)
	waitLine(t, &c, "up")
	st := p.Stop(time.Second)
	if !st.Stopped {
		t.Fatalf("status %+v", st)
	}
}

func TestKill(t *testing.T) {
	var c collector
	p := mustStart(t, helperSpec(t, "sleep"), c.sink)
	waitLine(t, &c, "ready")
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	st, _ := p.Wait()
	if st.SignalName != "SIGKILL" || !st.Stopped {
		t.Fatalf("status %+v", st)
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("second Kill: %v", err)
	}
}

func waitLine(t *testing.T, c *collector, want string) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		for _, l := range c.lines(Stdout) {
			if l == want {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("line %q never came; got %q", want, c.lines(Stdout))
}

func TestSpawnFailures(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec")
	os.WriteFile(notExec, []byte("#!/bin/sh\necho hi\n"), 0o644)
	cases := []struct {
		name   string
		spec   Spec
		reason string
	}{
		{"missing program", Spec{Program: "corral-no-such-program", Env: []string{"PATH=/usr/bin:/bin"}}, "not found"},
		{"no PATH", Spec{Program: "sh"}, "no PATH"},
		{"relative PATH entries are skipped", Spec{Program: "notexec", Dir: dir, Env: []string{"PATH=.:"}}, "not found"},
		{"not executable", Spec{Program: notExec}, "not executable"},
		{"a directory", Spec{Program: dir}, "is a directory"},
		{"missing directory", Spec{Program: "/bin/sh", Dir: filepath.Join(dir, "nope")}, "directory does not exist"},
		{"empty", Spec{}, "no program"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(tc.spec, nil)
			var sf *SpawnFailed
			if !errors.As(err, &sf) {
				t.Fatalf("err = %v, want *SpawnFailed", err)
			}
			if !strings.Contains(sf.Reason, tc.reason) {
				t.Fatalf("reason %q does not say %q (%v)", sf.Reason, tc.reason, err)
			}
			if tc.name == "missing program" && (len(sf.Searched) != 2 || !strings.Contains(err.Error(), "/usr/bin")) {
				t.Fatalf("error does not say where it searched: %v", err)
			}
		})
	}
}

func TestExecuteCapturesWithCaps(t *testing.T) {
	res, err := Execute(context.Background(), helperSpec(t, "flood", "1000000"), ExecOptions{MaxStdout: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success() || len(res.Stdout) != 1000 || res.StdoutDropped != 999000 || !res.Truncated {
		t.Fatalf("code %d, %d bytes kept, %d dropped, truncated %v", res.Code, len(res.Stdout), res.StdoutDropped, res.Truncated)
	}
}

func TestExecuteStdinAndExitCode(t *testing.T) {
	res, err := Execute(context.Background(), shSpec(t, "cat; echo oops >&2; exit 7"), ExecOptions{Stdin: []byte("in\x00put")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 7 || string(res.Stdout) != "in\x00put" || string(res.Stderr) != "oops\n" || res.Truncated {
		t.Fatalf("result %+v", res)
	}
}

func TestExecuteTimeoutStopsTheGroup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := Execute(ctx, shSpec(t, "sleep 1000 & sleep 1000"), ExecOptions{Grace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || !res.Signaled() {
		t.Fatalf("result %+v", res)
	}
}

func TestExecuteChildThatIgnoresStdin(t *testing.T) {
	res, err := Execute(context.Background(), helperSpec(t, "exit-now"), ExecOptions{Stdin: bytes.Repeat([]byte("x"), 1<<20)})
	if err != nil || !res.Success() {
		t.Fatalf("res %+v err %v", res, err)
	}
}
