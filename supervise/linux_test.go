//go:build linux

package supervise

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/proctest"
)

func init() {
	osHelpers = linuxHelper
}

func markOf() string {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, proctest.MarkKey+"=") {
			return kv
		}
	}
	return ""
}

func linuxHelper(mode string, args []string) (int, bool) {
	mark := markOf()
	switch mode {
	case "tree":
		// A grandchild in the group, one that called setsid, and a daemon
		// that double-forked away: the three ways a tree spreads.
		member := startHelper(mark, "sleep-quiet", nil)
		escaped := startHelper(mark, "sleep-quiet", &syscall.SysProcAttr{Setsid: true})
		daemon := startHelper(mark, "daemonize", nil)
		if member.Start() != nil || escaped.Start() != nil || daemon.Run() != nil {
			return 1, true
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
		return 0, true
	case "daemonize":
		d := startHelper(mark, "sleep-quiet", &syscall.SysProcAttr{Setsid: true})
		if d.Start() != nil {
			return 1, true
		}
		return 0, true
	case "watchdog":
		return RunWatchdog(os.Stdin), true
	case "mini-corral":
		return miniCorral(mark), true
	case "trap-term":
		return trapTerm(args[0]), true
	case "note-term":
		return noteTerm(args[0]), true
	}
	return 0, false
}

// miniCorral is a corral stand-in: a supervisor with a file ledger (and a
// watchdog unless told not to) running one "tree", which waits to be killed.
func miniCorral(mark string) int {
	l, err := NewFileLedger(os.Getenv("CORRAL_TEST_DATA"))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	exe, _ := os.Executable()
	cfg := Config{Ledger: l, Subreaper: true, MonitorInterval: -1}
	if g, err := time.ParseDuration(os.Getenv("CORRAL_TEST_DEATH_GRACE")); err == nil {
		cfg.DeathGrace = g
	}
	if os.Getenv("CORRAL_TEST_WATCHDOG") == "1" {
		cfg.Watchdog = []string{exe}
		cfg.WatchdogEnv = []string{helperEnv + "=watchdog", mark}
	}
	running := make(chan struct{})
	var once sync.Once
	cfg.Sink = func(ev event.Event) {
		if ev.Kind == event.ProcessState && strings.Contains(string(ev.Data), `"running"`) {
			once.Do(func() { close(running) })
		}
	}
	s, err := New(cfg)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	child := helper(mark, "tree")
	if mode := os.Getenv("CORRAL_TEST_CHILD"); mode != "" {
		child = helper(mark, mode, os.Getenv("CORRAL_TEST_CHILD_ARG"))
	}
	if os.Getenv("CORRAL_TEST_HOSTILE") == "1" {
		child = hostileSpec(mark, false)
	}
	_, err = s.Start(Spec{Spec: child, Ready: Readiness{Mode: ReadyLine, Line: "ready"}})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	<-running
	fmt.Println("ready")
	time.Sleep(time.Hour)
	return 0
}

func TestSetsidAndDoubleForkDieWithTheTree(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{Subreaper: true, MonitorInterval: 20 * time.Millisecond})
	p, err := s.Start(Spec{Spec: helper(mark, "tree"), Ready: Readiness{Mode: ReadyLine, Line: "ready"}})
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "running", stateIs(p.ID(), StateRunning))
	tree := proctest.Leftovers(mark)
	if len(tree) != 4 {
		t.Fatalf("%d processes in the tree, want 4", len(tree))
	}
	// The sampler counts the whole tree, the escaped ones included.
	rec.waitFor(t, "stats of 4 processes", func(ev event.Event) bool {
		var st Stats
		json.Unmarshal(ev.Data, &st)
		return ev.ProcessID == p.ID() && ev.Kind == event.ProcessStats && st.Processes == 4 && st.RSS > 0
	})
	p.Stop()
	if r := p.Wait(); r.Reason != ReasonKilled {
		t.Fatalf("result %+v", r)
	}
	// Before Shutdown (whose final sweep would hide a failure here).
	proctest.RequireGone(t, mark)
	// What was re-parented to this process was also reaped: no zombie of
	// the tree stays (proctest ignores zombies).
	zombies := func() []int {
		var z []int
		for _, pid := range tree {
			if st, _, ok := readStat(pid, nil); ok && st.State == 'Z' && st.Ppid == os.Getpid() {
				z = append(z, pid)
			}
		}
		return z
	}
	for i := 0; len(zombies()) > 0; i++ {
		if i > 500 {
			t.Fatalf("zombies left: %v", zombies())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func killNine(t *testing.T, watchdog bool) (dir, mark string) {
	return killNineWith(t, watchdog, 5) // corral, tree, three grandchildren
}

// killNineWith starts a mini corral (with extra environment entries env),
// waits until want marked processes, corral itself included and the
// watchdog not counted, are alive and kills corral with SIGKILL.
func killNineWith(t *testing.T, watchdog bool, want int, env ...string) (dir, mark string) {
	t.Helper()
	mark = proctest.NewMark()
	dir = t.TempDir()
	cmd := startHelper(mark, "mini-corral", nil)
	cmd.Env = append(cmd.Env, "CORRAL_TEST_DATA="+dir, fmt.Sprintf("CORRAL_TEST_WATCHDOG=%d", map[bool]int{false: 0, true: 1}[watchdog]))
	cmd.Env = append(cmd.Env, env...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("mini corral said %q (%v)", line, err)
	}
	if watchdog {
		want++
	}
	if n := len(proctest.Leftovers(mark)); n != want {
		cmd.Process.Kill()
		cmd.Wait()
		proctest.RequireGone(t, mark)
		t.Fatalf("%d marked processes before the kill, want %d", n, want)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return dir, mark
}

func TestKill9OfCorralLeavesNothing(t *testing.T) {
	dir, mark := killNine(t, true)
	// The target of the design: gone within 2 s of corral's death.
	if left := proctest.WaitGone(mark, 2*time.Second); len(left) > 0 {
		proctest.RequireGone(t, mark)
		t.Fatalf("still alive 2 s after kill -9: %v", left)
	}
	// The next start finds the dead corral's entry and reports it; there is
	// nothing left to kill.
	l, err := NewFileLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	swept, err := Sweep(l)
	if err != nil || len(swept) != 1 || len(swept[0].Killed) != 0 {
		t.Fatalf("sweep %+v %v", swept, err)
	}
	if es, _ := l.List(); len(es) != 0 {
		t.Fatalf("ledger still lists %v", es)
	}
}

func TestSweepKillsWhatADeadCorralLeft(t *testing.T) {
	// Without a watchdog only the direct child dies with corral (its
	// parent-death signal); the rest is left for the sweep at the next start.
	dir, mark := killNine(t, false)
	swept := sweepOne(t, dir)
	if n := len(swept[0].Killed); n < 3 {
		t.Fatalf("sweep killed %v, want the 3 grandchildren", swept[0].Killed)
	}
	if !strings.Contains(swept[0].Entry.Command, os.Args[0]) {
		t.Fatalf("entry %+v", swept[0].Entry)
	}
	if left := proctest.WaitGone(mark, 5*time.Second); len(left) > 0 {
		proctest.RequireGone(t, mark)
		t.Fatalf("left after the sweep: %v", left)
	}
}

func TestSweepNeverKillsARecycledPid(t *testing.T) {
	mark := proctest.NewMark()
	cmd := startHelper(mark, "sleep-quiet", &syscall.SysProcAttr{Setpgid: true})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	st, ok := startTime(cmd.Process.Pid)
	if !ok {
		t.Fatal("no start time")
	}
	l := &memLedger{}
	// Same pid and group, another start time: a recycled pid.
	l.Add(Entry{ID: "x", Pid: cmd.Process.Pid, Pgid: cmd.Process.Pid, StartTime: st - 1, Supervisor: 0})
	swept, err := Sweep(l)
	if err != nil || len(swept) != 1 || swept[0].Skipped == "" || len(swept[0].Killed) != 0 {
		t.Fatalf("sweep %+v %v", swept, err)
	}
	if syscall.Kill(cmd.Process.Pid, 0) != nil {
		t.Fatal("the sweep killed a stranger")
	}
	// An entry of a live corral (this test) is left alone.
	l.Add(Entry{ID: "y", Pid: cmd.Process.Pid, Pgid: cmd.Process.Pid, StartTime: st, Supervisor: os.Getpid()})
	if swept, _ := Sweep(l); len(swept) != 0 {
		t.Fatalf("swept a live corral's entry: %+v", swept)
	}
	// With the right start time and a dead corral it is killed.
	l.Remove("y")
	l.Add(Entry{ID: "z", Pid: cmd.Process.Pid, Pgid: cmd.Process.Pid, StartTime: st, Supervisor: 0})
	swept, _ = Sweep(l)
	if len(swept) != 1 || len(swept[0].Killed) != 1 {
		t.Fatalf("sweep %+v", swept)
	}
	cmd.Wait()
}

func TestMonitorAndMemoryLimit(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{MonitorInterval: 50 * time.Millisecond})
	busy, _ := s.Start(Spec{Spec: helper(mark, "spin", "1h"), Ready: Readiness{Mode: ReadyLine, Line: "ready"}})
	rec.waitFor(t, "CPU use", func(ev event.Event) bool {
		var st Stats
		json.Unmarshal(ev.Data, &st)
		return ev.ProcessID == busy.ID() && ev.Kind == event.ProcessStats && st.CPUPercent > 20
	})
	if in := busy.Info(); in.Stats.RSS == 0 || in.Stats.Processes != 1 {
		t.Fatalf("info stats %+v", in.Stats)
	}
	busy.Kill()
	big, _ := s.Start(Spec{Spec: helper(mark, "alloc", "64"), Ready: Readiness{Mode: ReadyLine, Line: "ready"},
		MemoryLimit: 32 << 20, MemoryAction: MemoryStop})
	if r := big.Wait(); r.Reason != ReasonMemory || r.State != StateExited {
		t.Fatalf("result %+v", r)
	}
	ev := rec.waitFor(t, "over-limit sample", func(ev event.Event) bool {
		return ev.ProcessID == big.ID() && ev.Kind == event.ProcessStats && strings.Contains(string(ev.Data), `"overLimit":true`)
	})
	_ = ev
	busy.Wait()
}

func TestMemoryLimitRestartsWhenRestartable(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk, MonitorInterval: 50 * time.Millisecond, Rand: func() float64 { return 0 }})
	p, _ := s.Start(Spec{Spec: helper(mark, "alloc", "64"), Ready: Readiness{Mode: ReadyLine, Line: "ready"},
		MemoryLimit: 32 << 20, MemoryAction: MemoryRestart, Restart: RestartPolicy{Mode: RestartOnFailure}})
	ev := rec.waitFor(t, "backoff", stateIs(p.ID(), StateBackoff))
	if !strings.Contains(string(ev.Data), `"reason":"memory-limit"`) {
		t.Fatalf("backoff %s", ev.Data)
	}
	p.Stop()
	if r := p.Wait(); r.Reason != ReasonKilled || r.Attempts != 1 {
		t.Fatalf("result %+v", r)
	}
}

func fdCount() int {
	es, _ := os.ReadDir("/proc/self/fd")
	return len(es)
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestManyShortProcessesLeaveNoTrace spawns and reaps 2,000 processes and
// checks that goroutines, descriptors and heap come back to the baseline.
func TestManyShortProcessesLeaveNoTrace(t *testing.T) {
	n := 2000
	if testing.Short() || raceEnabled {
		// A race-enabled test binary takes tens of milliseconds to start.
		n = 200
	}
	l, err := NewFileLedger(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l.NoSync = true
	var events atomic.Int64
	s, _, mark := newTestSupervisor(t, Config{MaxProcesses: 16, Ledger: l, Subreaper: true, MonitorInterval: 100 * time.Millisecond,
		Sink: func(event.Event) { events.Add(1) }})
	spec := Spec{Spec: helper(mark, "exit", "0"), Restart: RestartPolicy{Mode: RestartOnFailure}}
	run := func(k int) {
		ps := make([]*Process, 0, 100)
		for i := 0; i < k; i++ {
			p, err := s.Start(spec)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
			if len(ps) == 100 || i == k-1 {
				for _, p := range ps {
					if r := p.Wait(); r.Reason != ReasonExit || r.Code != 0 {
						t.Fatalf("result %+v", r)
					}
				}
				ps = ps[:0]
			}
		}
	}
	run(50) // warm up pools and the runtime
	settle := func(ok func() bool) bool {
		for i := 0; i < 200; i++ {
			if ok() {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	time.Sleep(100 * time.Millisecond)
	g0, fd0, h0 := runtime.NumGoroutine(), fdCount(), heap()
	run(n)
	if !settle(func() bool { return runtime.NumGoroutine() <= g0 }) {
		t.Errorf("goroutines %d, baseline %d", runtime.NumGoroutine(), g0)
	}
	if !settle(func() bool { return fdCount() <= fd0 }) {
		t.Errorf("descriptors %d, baseline %d", fdCount(), fd0)
	}
	if h := heap(); h > h0+4<<20 {
		t.Errorf("heap %d KiB, baseline %d KiB", h>>10, h0>>10)
	}
	if es, _ := l.List(); len(es) != 0 {
		t.Errorf("ledger keeps %d entries", len(es))
	}
	if len(s.List()) != 0 {
		t.Errorf("registry keeps %d processes", len(s.List()))
	}
	if events.Load() < int64(3*n) {
		t.Errorf("%d events for %d processes", events.Load(), n)
	}
	t.Logf("%d processes: goroutines %d→%d, fds %d→%d, heap %d→%d KiB", n, g0, runtime.NumGoroutine(), fd0, fdCount(), h0>>10, heap()>>10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Shutdown(ctx)
}

// sweepOne sweeps the ledger in dir, which must hold one dead corral's
// one entry, and returns what the sweep did.
func sweepOne(t *testing.T, dir string) []Swept {
	t.Helper()
	l, err := NewFileLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	swept, err := Sweep(l)
	if err != nil || len(swept) != 1 {
		t.Fatalf("sweep %+v %v", swept, err)
	}
	return swept
}
