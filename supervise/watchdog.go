package supervise

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// StartWatchdog starts the watchdog given by argv (and env) and tells it the
// marker prefix of the supervisor's processes.
func StartWatchdog(argv, env []string, markerPrefix string) (*Watchdog, error) {
	if len(argv) == 0 {
		return nil, errors.New("supervise: empty watchdog command")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Env: append([]string{}, env...), Stdin: r}
	cmd.SysProcAttr = detachedAttr()
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

// RunWatchdog is the watchdog's main loop (see Watchdog), reading commands
// from r (its stdin). It returns the exit code.
func RunWatchdog(r io.Reader) int {
	// A terminal's signals are for corral; the watchdog must outlive it.
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM)
	type group struct {
		pid   int
		start uint64
	}
	groups := map[int]group{}
	marker, cgroup := "", ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "M":
			if len(f) == 2 {
				marker = f[1]
			}
		case "A":
			if len(f) == 4 {
				pgid, _ := strconv.Atoi(f[1])
				pid, _ := strconv.Atoi(f[2])
				st, _ := strconv.ParseUint(f[3], 10, 64)
				groups[pgid] = group{pid, st}
			}
		case "R":
			if len(f) == 2 {
				pgid, _ := strconv.Atoi(f[1])
				delete(groups, pgid)
			}
		case "C": // the supervisor's cgroup (cgroup containment)
			cgroup = strings.TrimPrefix(sc.Text(), "C ")
		case "Q":
			return 0
		}
	}
	if cgroup != "" {
		killCgroupForWatchdog(cgroup)
	}
	// EOF (or a read error) without Q: corral is gone.
	for pgid, g := range groups {
		if st, ok := startTime(g.pid); ok && st != g.start {
			continue // the leader's pid now names another process
		}
		killGroup(pgid)
	}
	if marker != "" {
		killMarked(marker)
	}
	return 0
}
