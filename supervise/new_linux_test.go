package supervise

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
	"github.com/corral-dev/corral/proc"
	"go.uber.org/goleak"
)

func init() {
	next := osHelpers
	osHelpers = func(mode string, args []string) (int, bool) {
		if mode == "new-fails-as-subreaper" {
			return newFailsAsSubreaper(), true
		}
		return next(mode, args)
	}
}

// goneWatchdog starts the watchdog and kills it at once, as if it had
// crashed right after its start: every later command to it fails.
func goneWatchdog(argv, env []string, markerPrefix string) (*Watchdog, error) {
	w, err := StartWatchdog(argv, env, markerPrefix)
	if err != nil {
		return nil, err
	}
	w.cmd.Process.Kill()
	<-w.done
	return w, nil
}

// instanceGroups lists this process's supervisor groups in its cgroup v2
// group.
func instanceGroups() []string {
	own, err := proc.OwnCgroup2()
	if err != nil {
		return nil
	}
	es, _ := os.ReadDir(own)
	var out []string
	for _, e := range es {
		if pid, _, ok := parseInstanceGroupName(e.Name()); ok && pid == os.Getpid() {
			out = append(out, filepath.Join(own, e.Name()))
		}
	}
	return out
}

// TestNewReleasesWhatItSetUpOnFailure: when New fails part-way (here: the
// watchdog is gone once it started, so telling it the supervisor's cgroup or
// the death grace fails), everything New had set up is released: no
// goroutine, no descriptor (the watchdog's pipe) and no cgroup remain.
func TestNewReleasesWhatItSetUpOnFailure(t *testing.T) {
	exe, _ := os.Executable()
	wd := []string{exe}
	wdEnv := []string{helperEnv + "=watchdog"}
	cases := []struct {
		name string
		cfg  Config
	}{
		{"cgroup", Config{Watchdog: wd, WatchdogEnv: wdEnv, MonitorInterval: -1}},
		{"cgroup and death grace", Config{Watchdog: wd, WatchdogEnv: wdEnv, DeathGrace: time.Second, MonitorInterval: -1}},
		{"death grace", Config{Watchdog: wd, WatchdogEnv: wdEnv, DeathGrace: time.Second, NoCgroups: true, MonitorInterval: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.name, "cgroup") && ProbeContainment(tc.cfg).Mode != ContainCgroup {
				proctest.SkipWithoutCgroups(t, "the supervisor's own cgroup")
			}
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			groups0, fd0 := instanceGroups(), fdCount()
			s, err := newSupervisor(tc.cfg, goneWatchdog)
			if err == nil {
				s.Shutdown(t.Context())
				t.Fatal("New succeeded with a watchdog that is gone")
			}
			if groups := instanceGroups(); !slices.Equal(groups, groups0) {
				t.Errorf("cgroups left behind: %v (before: %v)", groups, groups0)
			}
			if fd := fdCount(); fd != fd0 {
				t.Errorf("descriptors: %d before New, %d after it failed: %s", fd0, fd, openFiles())
			}
		})
	}
}

// openFiles describes this process's open descriptors.
func openFiles() string {
	es, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range es {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		b.WriteString(e.Name() + "→" + target + " ")
	}
	return b.String()
}

// newFailsAsSubreaper runs, in a process of its own, a New that makes the
// process a child subreaper and then fails, and prints whether the process
// was a subreaper before, whether New failed, and whether it is one after.
func newFailsAsSubreaper() int {
	exe, _ := os.Executable()
	before := isSubreaper()
	_, err := newSupervisor(Config{
		Subreaper: true, NoCgroups: true, DeathGrace: time.Second, MonitorInterval: -1,
		Watchdog: []string{exe}, WatchdogEnv: []string{helperEnv + "=watchdog"},
	}, goneWatchdog)
	fmt.Println(before, err != nil, isSubreaper())
	return 0
}

// TestNewFailingLeavesNoSubreaper: a New that made the process a child
// subreaper and then failed undoes it. Nothing would reap the orphans
// re-parented to the process otherwise: every one would stay a zombie. It
// runs in a child process: being a subreaper is a property of the whole
// process, which other tests of this one set.
func TestNewFailingLeavesNoSubreaper(t *testing.T) {
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"=new-fails-as-subreaper")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "false true false" {
		t.Fatalf("subreaper before, New failed, subreaper after: %s", got)
	}
}
