package session

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
)

// gitHome gives git (the test's and corral's) a home with an identity, so
// commits work on a machine without a ~/.gitconfig. It sets HOME for the
// test: call it before OpenRuntime (the workspace manager reads HOME then).
func gitHome(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("these tests run the real git: %v", err)
	}
	home := t.TempDir()
	cfg := "[user]\n\tname = Corral Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
}

// git runs git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// numbered is n lines "line 1" ... "line n", with the lines in edits
// replaced.
func numbered(n int, edits map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := edits[i]; ok {
			b.WriteString(s + "\n")
		} else {
			b.WriteString("line " + strconv.Itoa(i) + "\n")
		}
	}
	return b.String()
}

// newRepo makes a repository on branch main with a.txt (20 numbered lines)
// committed.
func newRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte(numbered(20, nil)), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	return dir
}

// writeTurn is a fake agent turn that writes a.txt with lines 2 and 18
// changed (two hunks).
func writeTurn(l2, l18 string) string {
	return "write:a.txt=" + strings.ReplaceAll(numbered(20, map[int]string{2: l2, 18: l18}), "\n", `\n`)
}

// wsRT opens a runtime of the fake agent in a fresh data directory with
// cfg's capabilities and sessions table.
func wsRT(t *testing.T, edit func(c *config.Config, worktrees string)) *Runtime {
	t.Helper()
	cfg := fakeConfig(t)
	dataDir := t.TempDir()
	if edit != nil {
		edit(cfg, filepath.Join(dataDir, WorktreesDir))
	}
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	rt, err := OpenRuntime(context.Background(), dataDir, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeRT(t, rt) })
	return rt
}

// changed matches a workspace.changed event of reason.
func changed(reason string) func(event.Event) bool {
	return func(ev event.Event) bool {
		if ev.Kind != WorkspaceChanged {
			return false
		}
		var d WorkspaceChange
		json.Unmarshal(ev.Data, &d)
		return d.Reason == reason
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
