package supervise

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/corral-dev/corral/proc"
)

// WatchdogArg is the hidden first argument with which corral re-executes
// itself as its watchdog: main must call RunWatchdog(os.Stdin) and exit with
// its result when it sees it.
const WatchdogArg = "__corral-watchdog"

// Watchdog is the handle of the watchdog process.
//
// Pdeathsig kills only a direct child when corral dies; the rest of a
// child's group and descendants that called setsid would survive a
// SIGKILL of corral. The watchdog closes that gap: it is a separate small
// process, started without a parent-death signal and in a process group of
// its own (so a terminal's Ctrl-C does not reach it), whose stdin is a pipe
// whose only writer is corral. Corral tells it, line by line, which groups
// are live. When the pipe reports EOF without a clean goodbye, every writer
// is gone, which means corral died: the watchdog kills every recorded group
// (after checking the leader's start time, so that a recycled pid is never
// hit) and every process carrying the supervisor's marker, then exits.
type Watchdog struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	w    *os.File
	err  error
	done chan struct{}
}

// watchdogEnv is set in the watchdog's environment: a process that has it
// was started as a watchdog and never starts one itself.
const watchdogEnv = "CORRAL_WATCHDOG"

// ErrNestedWatchdog is StartWatchdog's error in a process that was itself
// started as a watchdog: its command did not handle WatchdogArg.
var ErrNestedWatchdog = errors.New("supervise: this process was started as a watchdog (" + watchdogEnv + " is set) but did not run as one; its command must handle " + WatchdogArg)

// StartWatchdog starts the watchdog given by argv (and env) and tells it the
// marker prefix of the supervisor's processes. In a process that was itself
// started as a watchdog it fails with ErrNestedWatchdog.
func StartWatchdog(argv, env []string, markerPrefix string) (*Watchdog, error) {
	if len(argv) == 0 {
		return nil, errors.New("supervise: empty watchdog command")
	}
	if os.Getenv(watchdogEnv) != "" {
		// A program that does not know WatchdogArg (a test binary) runs
		// as itself; were it to start a watchdog in turn, every level
		// would start one more.
		return nil, ErrNestedWatchdog
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Env: append(append([]string{}, env...), watchdogEnv+"=1"), Stdin: r}
	cmd.SysProcAttr = detachedAttr()
	// The watchdog outlives corral: a stray descriptor (a listening
	// socket, a database file) must not live on in it.
	proc.CloseOnExecAll()
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("supervise: cannot start the watchdog: %w", err)
	}
	r.Close()
	wd := &Watchdog{cmd: cmd, w: w, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(wd.done)
	}()
	if err := wd.send("M " + markerPrefix); err != nil {
		wd.Close()
		return nil, err
	}
	return wd, nil
}

// Pid is the watchdog's process id.
func (w *Watchdog) Pid() int { return w.cmd.Process.Pid }

func (w *Watchdog) send(line string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.w == nil {
		return os.ErrClosed
	}
	// One write of a short line on a pipe is atomic and does not block
	// unless 64 KiB of lines wait unread, which the watchdog never lets
	// happen.
	if _, err := w.w.Write([]byte(line + "\n")); err != nil {
		w.err = fmt.Errorf("supervise: the watchdog is gone: %w", err)
		return w.err
	}
	return nil
}

// Add tells the watchdog about a live group.
func (w *Watchdog) Add(e Entry) error {
	return w.send(fmt.Sprintf("A %d %d %d", e.Pgid, e.Pid, e.StartTime))
}

// Remove tells the watchdog that a group is gone.
func (w *Watchdog) Remove(e Entry) error {
	return w.send(fmt.Sprintf("R %d", e.Pgid))
}

// Close ends the watchdog without it killing anything: corral has stopped
// its processes itself.
func (w *Watchdog) Close() error {
	w.send("Q")
	w.mu.Lock()
	if w.w != nil {
		w.w.Close()
		w.w = nil
	}
	w.mu.Unlock()
	<-w.done
	return nil
}

// DefaultDeathGrace is how long the watchdog lets the processes of a dead
// corral end after SIGTERM before it kills them (Config.DeathGrace).
const DefaultDeathGrace = 3 * time.Second

// deathPoll is how often the watchdog looks, during the grace, whether
// anything it signalled is still alive.
const deathPoll = 50 * time.Millisecond

// SetGrace tells the watchdog how long the processes of a dead corral get
// between SIGTERM and SIGKILL (DefaultDeathGrace until told).
func (w *Watchdog) SetGrace(d time.Duration) error {
	return w.send("G " + strconv.FormatInt(d.Milliseconds(), 10))
}

// RunWatchdog is the watchdog's main loop (see Watchdog), reading commands
// from r (its stdin). It returns the exit code.
//
// When corral dies, the watchdog ends what it left as a stop would, not
// with SIGKILL at once: an agent killed outright loses what it had not yet
// written (its transcript of the last turn). It sends SIGTERM to every
// recorded group whose leader is still the recorded process and to every
// process carrying the marker, waits until they are all gone or the grace
// is over, and then kills what remains with SIGKILL.
func RunWatchdog(r io.Reader) int {
	// A terminal's signals are for corral; the watchdog must outlive it.
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM)
	st := watchState{groups: map[int]watchGroup{}, grace: DefaultDeathGrace}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if st.apply(sc.Text()) {
			return 0
		}
	}
	// EOF (or a read error) without Q: corral is gone.
	st.endAll()
	return 0
}

// watchGroup is a live group as corral announced it: its leader and the
// leader's start time.
type watchGroup struct {
	pid   int
	start uint64
}

// watchState is what the watchdog knows of corral's processes.
type watchState struct {
	groups map[int]watchGroup // by pgid
	marker string
	// cgroup is the supervisor's own group (cgroup containment): every
	// tree's group is below it.
	cgroup string
	grace  time.Duration
}

// apply applies one command line and reports whether it was the clean
// goodbye (Q).
func (st *watchState) apply(line string) (quit bool) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return false
	}
	switch {
	case f[0] == "M" && len(f) == 2:
		st.marker = f[1]
	case f[0] == "G" && len(f) == 2:
		if ms, err := strconv.ParseInt(f[1], 10, 64); err == nil && ms >= 0 {
			st.grace = time.Duration(ms) * time.Millisecond
		}
	case f[0] == "A" && len(f) == 4:
		pgid, _ := strconv.Atoi(f[1])
		pid, _ := strconv.Atoi(f[2])
		start, _ := strconv.ParseUint(f[3], 10, 64)
		st.groups[pgid] = watchGroup{pid, start}
	case f[0] == "R" && len(f) == 2:
		pgid, _ := strconv.Atoi(f[1])
		delete(st.groups, pgid)
	case f[0] == "C" && len(f) >= 2:
		st.cgroup = strings.TrimPrefix(line, "C ")
	case f[0] == "Q":
		return true
	}
	return false
}

// endAll ends what a dead corral left: SIGTERM, the grace, then SIGKILL.
func (st *watchState) endAll() {
	if st.cgroup != "" {
		// Removes the groups, and kills what the grace left in them.
		defer killCgroupForWatchdog(st.cgroup)
	}
	targets := groupsToEnd(st.groups, startTime)
	for _, pgid := range targets {
		termGroup(pgid)
	}
	if st.marker != "" {
		termMarked(st.marker)
	}
	if st.cgroup != "" {
		termCgroupForWatchdog(st.cgroup)
	}
	deadline := time.Now().Add(st.grace)
	for {
		// A group seen empty is dropped for good: its id may be reused
		// from then on and must never be signalled again.
		var marked bool
		targets, marked = leftAlive(targets, st.marker)
		if len(targets) == 0 && !marked && !cgroupAliveForWatchdog(st.cgroup) {
			return
		}
		if !time.Now().Before(deadline) {
			break
		}
		time.Sleep(deathPoll)
	}
	for _, pgid := range targets {
		killGroup(pgid)
	}
	if st.marker != "" {
		killMarked(st.marker)
	}
}

// groupsToEnd returns the recorded groups that may be signalled, in
// ascending order: all but those whose leader's pid now names another
// process (alive with another start time). A group whose leader is gone
// is kept: its id stays reserved while any member lives.
func groupsToEnd(groups map[int]watchGroup, startTime func(int) (uint64, bool)) []int {
	var out []int
	for pgid, g := range groups {
		if st, ok := startTime(g.pid); ok && st != g.start {
			continue
		}
		out = append(out, pgid)
	}
	slices.Sort(out)
	return out
}

// stillAlive returns the groups of pgids for which alive is true.
func stillAlive(pgids []int, alive func(int) bool) []int {
	out := pgids[:0]
	for _, pgid := range pgids {
		if alive(pgid) {
			out = append(out, pgid)
		}
	}
	return out
}
