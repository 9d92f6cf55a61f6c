package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
)

func markOf(t *testing.T, env []string) string {
	t.Helper()
	for _, kv := range env {
		if strings.HasPrefix(kv, proctest.MarkKey+"=") {
			return kv
		}
	}
	t.Fatal("no mark")
	return ""
}

// lastJSON decodes the last line of out.
func lastJSON(t *testing.T, out []byte) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line of %q: %v", out, err)
	}
	return m
}

func TestRunTimeoutsEndWithTheirReason(t *testing.T) {
	tests := []struct {
		flag, script, reason, limit string
	}{
		{"--timeout=300ms", "echo started; while :; do echo tick; sleep 0.05; done", "timeout", "total"},
		{"--idle-timeout=300ms", "echo started; sleep 1000", "idle-timeout", "idle"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			cmd := corral(t, "run", "--data", t.TempDir(), "--json", tt.flag, "--", "sh", "-c", tt.script)
			out, err := cmd.Output()
			if code := exitCode(t, err); code != 143 {
				t.Fatalf("code %d, want 143 (sh ended by SIGTERM):\n%s", code, out)
			}
			m := lastJSON(t, out)
			if m["stream"] != "exit" || m["reason"] != tt.reason || m["limit"] != tt.limit {
				t.Fatalf("exit line %v", m)
			}
			if n := strings.Count(string(out), `"stream":"exit"`); n != 1 {
				t.Fatalf("%d exit lines", n)
			}
		})
	}
}

func TestRunRestartOnFailure(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "n")
	// Fails the first time, succeeds the second.
	script := `n=$(cat "$0" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$0"; echo run $n; [ $n -ge 2 ] || exit 3`
	cmd := corral(t, "run", "--data", dir, "--json", "--restart=on-failure", "--", "sh", "-c", script, counter)
	out, err := cmd.Output()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("code %d:\n%s", code, out)
	}
	s := string(out)
	for _, want := range []string{`"text":"run 1"`, `"stream":"restart"`, `"code":3`, `"text":"run 2"`, `"restarts":1`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s:\n%s", want, s)
		}
	}
	bad := corral(t, "run", "--restart=sometimes", "--", "true")
	if code := exitCode(t, bad.Run()); code != 2 {
		t.Fatalf("bad --restart: code %d", code)
	}
}

func TestPsShowsWhatRunRuns(t *testing.T) {
	dir := t.TempDir()
	run := corral(t, "run", "--data", dir, "--", "sh", "-c", "sleep 1000 & sleep 1000")
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		run.Process.Signal(syscall.SIGTERM)
		run.Wait()
	}()
	var row map[string]any
	for i := 0; ; i++ {
		ps := corral(t, "ps", "--data", dir, "--json")
		out, err := ps.Output()
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > 0 {
			row = lastJSON(t, out)
			if row["processes"] == 3.0 {
				break
			}
		}
		if i > 500 {
			t.Fatalf("ps never showed the tree: %s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if row["state"] != "running" || row["rss"].(float64) <= 0 || !strings.Contains(row["command"].(string), "sleep 1000") || row["owner"] != "cli:run" {
		t.Fatalf("row %v", row)
	}
	var table bytes.Buffer
	ps := corral(t, "ps", "--data", dir)
	ps.Stdout = &table
	if err := ps.Run(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(table.String(), "ID") || !strings.Contains(table.String(), " running ") {
		t.Fatalf("table:\n%s", table.String())
	}
	run.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, run.Wait()); code != 143 {
		t.Fatalf("code %d", code)
	}
	out, _ := corral(t, "ps", "--data", dir, "--json").Output()
	if len(out) != 0 {
		t.Fatalf("ps after the end: %s", out)
	}
}

func TestRunKill9LeavesNothing(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("the leftover check scans /proc, which only Linux has")
	}
	cmd := corral(t, "run", "--data", t.TempDir(), "--", "sh", "-c", "sleep 1000 & setsid sleep 1000 & sleep 1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mark := markOf(t, cmd.Env)
	// corral, its watchdog, sh and three sleeps.
	for i := 0; len(proctest.Leftovers(mark)) < 6; i++ {
		if i > 500 {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the command never started: %v", proctest.Leftovers(mark))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if left := proctest.WaitGone(mark, 2*time.Second); len(left) > 0 {
		t.Fatalf("alive 2 s after kill -9 of corral: %v", left)
	}
}
