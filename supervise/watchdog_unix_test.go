//go:build unix

package supervise

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A test binary re-executed as a watchdog runs its tests instead; were
// one of them to start a watchdog, each level would start another (a
// process storm). A process started as a watchdog starts none.
func TestWatchdogIsNeverNested(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	// Like a real watchdog, the shell reads its instructions until their
	// pipe closes; one that exited at once would make StartWatchdog's
	// first line fail with EPIPE whenever the exit came first.
	w, err := StartWatchdog([]string{"/bin/sh", "-c", `echo "$` + watchdogEnv + `" > ` + out + `; cat >/dev/null`}, nil, "m")
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	b, _ := os.ReadFile(out)
	if strings.TrimSpace(string(b)) != "1" {
		t.Fatalf("the watchdog's environment lacks %s=1 (got %q)", watchdogEnv, b)
	}
	t.Setenv(watchdogEnv, "1")
	if _, err := StartWatchdog([]string{"/bin/true"}, nil, "m"); !errors.Is(err, ErrNestedWatchdog) {
		t.Fatalf("started a watchdog from a watchdog: %v", err)
	}
}
