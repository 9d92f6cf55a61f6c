package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/internal/proctest"
)

// twentyLines is a file of 20 numbered lines with some replaced.
func twentyLines(edits map[int]string) string {
	var b strings.Builder
	for i := 1; i <= 20; i++ {
		if s, ok := edits[i]; ok {
			b.WriteString(s + "\n")
		} else {
			fmt.Fprintf(&b, "line %d\n", i)
		}
	}
	return b.String()
}

// readThenWrite is a scenario in which Claude Code reads *path (its Write
// tool refuses a file it has not read), then writes it with two separate
// lines changed, then says it is done.
func readThenWrite(path *atomic.Pointer[string], content string) mockllm.Scenario {
	return mockllm.ScenarioFunc(func(r *mockllm.Request) mockllm.Reply {
		results := 0
		for _, m := range r.Messages {
			results += len(m.ToolResults)
		}
		p := *path.Load()
		switch results {
		case 0:
			return mockllm.Reply{Text: "Reading it.", Tool: &mockllm.ToolCall{ID: "call_read", Name: "Read",
				Input: json.RawMessage(fmt.Sprintf(`{"file_path":%q}`, p))}}
		case 1:
			in, _ := json.Marshal(map[string]string{"file_path": p, "content": content})
			return mockllm.Reply{Text: "Writing it.", Tool: &mockllm.ToolCall{ID: "call_write", Name: "Write", Input: in}}
		}
		return mockllm.Reply{Text: "done"}
	})
}

// An isolated session of the real Claude Code edits a file in its own
// worktree: the user's checkout is untouched, the change shows in
// GetChanges, discarding one of its two hunks leaves the other, a dirty
// worktree is not removed without force, and restoring turn 0's checkpoint
// brings the base back.
func TestServeAgentCLIWorkspace(t *testing.T) {
	bin := clitest.Require(t, clitest.Claude)
	var target atomic.Pointer[string]
	empty := ""
	target.Store(&empty)
	edited := twentyLines(map[int]string{2: "line two, edited", 18: "line eighteen, edited"})
	m, err := mockllm.Start(readThenWrite(&target, edited))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	home := clitest.Home(t)
	repo := filepath.Join(home, "project")
	os.MkdirAll(repo, 0o755)
	base := twentyLines(nil)
	os.WriteFile(filepath.Join(repo, "a.txt"), []byte(base), 0o644)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "base"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	sp := startServe(t, filepath.Join(home, "corral-data"), claudeConfig(t, home, bin, home, m.URL, mark))

	var sess struct {
		ID        string
		Workspace struct{ Path, Branch string }
	}
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"claude","cwd":%q,"isolation":"worktree","permissionMode":"acceptEdits"}`, repo), &sess)
	if sess.Workspace.Path == "" || !strings.HasPrefix(sess.Workspace.Branch, "corral/") {
		t.Fatalf("session %+v", sess)
	}
	p := filepath.Join(sess.Workspace.Path, "a.txt")
	target.Store(&p)
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"edit a.txt"}`, sess.ID), nil)
	sp.awaitTurn(sess.ID, 1)

	if got, _ := os.ReadFile(filepath.Join(repo, "a.txt")); string(got) != base {
		t.Fatalf("the user's checkout changed:\n%s", got)
	}
	if got, _ := os.ReadFile(p); string(got) != edited {
		t.Fatalf("the agent's edit is not in the worktree (model requests: %d):\n%s", len(m.ModelRequests()), got)
	}
	type hunk struct{ ID string }
	var changes struct {
		Files []struct {
			Path, Status, Fingerprint string
			Hunks                     []hunk
		}
	}
	sp.mustCall("GetChanges", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), &changes)
	if len(changes.Files) != 1 || changes.Files[0].Path != "a.txt" || len(changes.Files[0].Hunks) != 2 {
		t.Fatalf("changes %+v", changes)
	}
	f := changes.Files[0]
	sp.mustCall("DiscardChanges", fmt.Sprintf(`{"sessionId":%q,"path":"a.txt","hunks":[%q],"fingerprint":%q}`, sess.ID, f.Hunks[0].ID, f.Fingerprint), nil)
	if got, _ := os.ReadFile(p); string(got) != twentyLines(map[int]string{18: "line eighteen, edited"}) {
		t.Fatalf("after discarding one hunk of two:\n%s", got)
	}

	code, body := sp.call("RemoveWorkspace", fmt.Sprintf(`{"sessionId":%q}`, sess.ID))
	if code != 409 || !strings.Contains(body, `"code":"unsaved_work"`) || !strings.Contains(body, `"path":"a.txt"`) {
		t.Fatalf("remove of a dirty worktree: %d %s", code, body)
	}
	var cps []struct{ ID, Turn int }
	sp.mustCall("ListCheckpoints", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), &cps)
	if len(cps) < 2 || cps[0].Turn != 0 || cps[len(cps)-1].Turn != 1 {
		t.Fatalf("checkpoints %+v", cps)
	}
	sp.mustCall("RestoreCheckpoint", fmt.Sprintf(`{"sessionId":%q,"checkpointId":%d}`, sess.ID, cps[0].ID), nil)
	if got, _ := os.ReadFile(p); string(got) != base {
		t.Fatalf("after restoring turn 0:\n%s", got)
	}
	sp.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, sp.cmd.Wait()); code != 0 {
		t.Fatalf("exit %d: %s", code, sp.errb.String())
	}
}

// ForkSession with the real Claude Code continues the conversation as it
// was at the end of the checkpoint's turn: the fork's model request holds
// turn 1, not turn 2, and the source conversation goes on unchanged.
func TestServeAgentCLIForkSession(t *testing.T) {
	bin := clitest.Require(t, clitest.Claude)
	m, err := mockllm.Start(mockllm.Echo())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	home := clitest.Home(t)
	repo := filepath.Join(home, "project")
	os.MkdirAll(repo, 0o755)
	os.WriteFile(filepath.Join(repo, "a.txt"), []byte("a\n"), 0o644)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "base"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	sp := startServe(t, filepath.Join(home, "corral-data"), claudeConfig(t, home, bin, home, m.URL, mark))
	var sess struct {
		ID      string
		CanFork bool
	}
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"claude","cwd":%q}`, repo), &sess)
	if !sess.CanFork {
		t.Fatal("claude sessions can fork")
	}
	for i, text := range []string{"the word is apple", "the word is pear"} {
		sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":%q}`, sess.ID, text), nil)
		sp.awaitTurn(sess.ID, i+1)
	}
	var cps []struct{ ID, Turn int }
	sp.mustCall("ListCheckpoints", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), &cps)
	turn1 := 0
	for _, c := range cps {
		if c.Turn == 1 {
			turn1 = c.ID
		}
	}
	var fork struct {
		ID        string
		Workspace struct{ Path string }
	}
	sp.mustCall("ForkSession", fmt.Sprintf(`{"sessionId":%q,"checkpointId":%d}`, sess.ID, turn1), &fork)
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"which word"}`, fork.ID), nil)
	sp.awaitTurn(fork.ID, 1)
	reqs := m.ModelRequests()
	seen := strings.Join(reqs[len(reqs)-1].UserTexts(), " | ")
	if !strings.Contains(seen, "apple") || strings.Contains(seen, "pear") || !strings.Contains(seen, "which word") {
		t.Fatalf("the fork's model request saw %q", seen)
	}
	sp.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, sp.cmd.Wait()); code != 0 {
		t.Fatalf("exit %d: %s", code, sp.errb.String())
	}
}
