//go:build linux

package supervise

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
)

// trapTerm is a child that ends gracefully: on SIGTERM it takes a moment
// (an agent writing its transcript), writes "finished" to file and exits.
func trapTerm(file string) int {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	fmt.Println("ready")
	<-c
	time.Sleep(200 * time.Millisecond)
	if err := os.WriteFile(file, []byte("finished"), 0o644); err != nil {
		return 1
	}
	return 0
}

// noteTerm is a child that ignores SIGTERM after writing "got SIGTERM" to
// file: only SIGKILL ends it.
func noteTerm(file string) int {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGTERM)
	fmt.Println("ready")
	for range c {
		os.WriteFile(file, []byte("got SIGTERM"), 0o644)
	}
	return 0
}

// waitFile waits until file holds want. The limit only keeps a broken test
// from hanging; no timing is asserted.
func waitFile(t *testing.T, file, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		if string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want %q", file, b, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKill9OfCorralLetsTheChildEndGracefully: a child of a corral killed
// with SIGKILL gets SIGTERM, not SIGKILL, and has the time to finish what
// it was writing, with or without the watchdog.
func TestKill9OfCorralLetsTheChildEndGracefully(t *testing.T) {
	for _, watchdog := range []bool{false, true} {
		t.Run(fmt.Sprintf("watchdog=%v", watchdog), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "out")
			_, mark := killNineWith(t, watchdog, 2, "CORRAL_TEST_CHILD=trap-term", "CORRAL_TEST_CHILD_ARG="+file)
			defer proctest.RequireGone(t, mark)
			waitFile(t, file, "finished")
			if left := proctest.WaitGone(mark, 20*time.Second); len(left) > 0 {
				t.Fatalf("still alive after it finished: %v", left)
			}
		})
	}
}

// TestKill9OfCorralKillsAChildIgnoringTerm: a child that ignores the
// SIGTERM of corral's death is killed by the watchdog once its grace is
// over.
func TestKill9OfCorralKillsAChildIgnoringTerm(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out")
	_, mark := killNineWith(t, true, 2, "CORRAL_TEST_CHILD=note-term", "CORRAL_TEST_CHILD_ARG="+file,
		"CORRAL_TEST_DEATH_GRACE=500ms")
	defer proctest.RequireGone(t, mark)
	waitFile(t, file, "got SIGTERM")
	// It ignores SIGTERM: only the watchdog's SIGKILL can end it.
	if left := proctest.WaitGone(mark, 20*time.Second); len(left) > 0 {
		t.Fatalf("the child ignoring SIGTERM survived the grace: %v", left)
	}
}

// TestSweepKillsAChildIgnoringTermWithoutWatchdog: without a watchdog,
// the parent-death SIGTERM is all a dead corral sends; a child that ignores
// it is left for the sweep at the next start.
func TestSweepKillsAChildIgnoringTermWithoutWatchdog(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out")
	dir, mark := killNineWith(t, false, 2, "CORRAL_TEST_CHILD=note-term", "CORRAL_TEST_CHILD_ARG="+file)
	defer proctest.RequireGone(t, mark)
	waitFile(t, file, "got SIGTERM")
	if left := proctest.Leftovers(mark); len(left) != 1 {
		t.Fatalf("%d processes left before the sweep, want the child", len(left))
	}
	l, err := NewFileLedger(dir)
	if err != nil {
		t.Fatal(err)
	}
	swept, err := Sweep(l)
	if err != nil || len(swept) != 1 || len(swept[0].Killed) != 1 {
		t.Fatalf("sweep %+v %v", swept, err)
	}
	if left := proctest.WaitGone(mark, 20*time.Second); len(left) > 0 {
		t.Fatalf("left after the sweep: %v", left)
	}
}
