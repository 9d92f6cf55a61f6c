package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/workspace"
)

// wsRepo makes a git repository on main with a.txt (lines 1..20) committed,
// with a home whose git identity corral's git uses.
func wsRepo(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[user]\n\tname = T\n\temail = t@example.com\n"), 0o644)
	t.Setenv("HOME", home)
	dir := t.TempDir()
	gitT(t, dir, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte(lines20(nil)), 0o644)
	gitT(t, dir, "add", "-A")
	gitT(t, dir, "commit", "-q", "-m", "base")
	return dir
}

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func lines20(edits map[int]string) string {
	var b strings.Builder
	for i := 1; i <= 20; i++ {
		if s, ok := edits[i]; ok {
			b.WriteString(s + "\n")
		} else {
			b.WriteString("line " + string(rune('a'+i)) + "\n")
		}
	}
	return b.String()
}

func isChange(reason string) func(event.Event) bool {
	return func(ev event.Event) bool {
		return ev.Kind == session.WorkspaceChanged && strings.Contains(string(ev.Data), `"reason":"`+reason+`"`)
	}
}

// Every workspace call over HTTP, with its error codes and details.
func TestWorkspaceCallsOverHTTP(t *testing.T) {
	repo := wsRepo(t)
	e := startE2E(t, t.TempDir())
	defer e.close()
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": repo, "isolation": "worktree"}, &sess)
	if sess.Workspace == nil || sess.Workspace.Repo == "" || sess.Workspace.Branch == "" || sess.Workspace.BaseRef != "main" {
		t.Fatalf("workspace %+v", sess.Workspace)
	}
	st := e.stream("?session="+sess.ID, 0)
	defer st.stop()
	var run SendMessageResult
	text := "write:a.txt=" + strings.ReplaceAll(lines20(map[int]string{2: "two", 18: "eighteen"}), "\n", `\n`)
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": text}, &run)
	st.until(isChange("turn"))

	var list []session.Info
	e.call("ListSessions", Empty{}, &list)
	if len(list) != 1 || list[0].Workspace == nil || list[0].Workspace.Changes != (session.ChangeCounts{Files: 1, Additions: 2, Deletions: 2}) {
		t.Fatalf("list %+v", list)
	}
	var cps []workspace.Checkpoint
	e.call("ListCheckpoints", map[string]any{"sessionId": sess.ID}, &cps)
	if len(cps) != 2 || cps[0].Turn != 0 || cps[1].Turn != 1 || cps[1].Additions != 2 {
		t.Fatalf("checkpoints %+v", cps)
	}
	var ch workspace.Changes
	e.call("GetChanges", map[string]any{"sessionId": sess.ID, "from": cps[0].Seq, "to": cps[1].Seq}, &ch)
	if len(ch.Files) != 1 || ch.Files[0].Path != "a.txt" || len(ch.Files[0].Hunks) != 2 || ch.Files[0].Status != "modified" {
		t.Fatalf("changes %+v", ch)
	}
	e.call("GetChanges", map[string]any{"sessionId": sess.ID}, &ch)
	f := ch.Files[0]

	// conflict: the file changed since the diff was read.
	os.WriteFile(filepath.Join(sess.Workspace.Path, "a.txt"), []byte(lines20(map[int]string{2: "two", 18: "eighteen", 10: "ten"})), 0o644)
	code, ae := e.callErr("DiscardChanges", map[string]any{"sessionId": sess.ID, "path": "a.txt", "hunks": []string{f.Hunks[0].ID}, "fingerprint": f.Fingerprint})
	if code != http.StatusConflict || ae.Code != CodeConflict {
		t.Fatalf("stale discard: %d %+v", code, ae)
	}
	e.call("GetChanges", map[string]any{"sessionId": sess.ID}, &ch)
	f = ch.Files[0]
	e.call("DiscardChanges", map[string]any{"sessionId": sess.ID, "path": "a.txt", "hunks": []string{f.Hunks[0].ID}, "fingerprint": f.Fingerprint}, nil)
	st.until(isChange("discard"))
	if _, ae := e.callErr("DiscardChanges", map[string]any{"sessionId": sess.ID, "path": "../etc/passwd", "fingerprint": "x"}); ae.Code != CodeInvalidArgument {
		t.Fatalf("path outside: %+v", ae)
	}

	// unsaved_work lists what would be lost.
	code, ae = e.callErr("RemoveWorkspace", map[string]any{"sessionId": sess.ID})
	details, _ := json.Marshal(ae.Details)
	if code != http.StatusConflict || ae.Code != CodeUnsavedWork || !strings.Contains(string(details), `"path":"a.txt"`) {
		t.Fatalf("remove dirty: %d %+v %s", code, ae, details)
	}
	if _, ae := e.callErr("DeleteSession", map[string]any{"sessionId": sess.ID}); ae.Code != CodeUnsavedWork {
		t.Fatalf("delete dirty: %+v", ae)
	}
	if _, ae := e.callErr("MergeWorkspace", map[string]any{"sessionId": sess.ID, "strategy": "squash"}); ae.Code != CodeDirtyWorktree {
		t.Fatalf("merge dirty: %+v", ae)
	}
	if _, ae := e.callErr("MergeWorkspace", map[string]any{"sessionId": sess.ID, "strategy": "octopus"}); ae.Code != CodeInvalidArgument {
		t.Fatalf("bad strategy: %+v", ae)
	}
	var cr CommitChangesResult
	e.call("CommitChanges", map[string]any{"sessionId": sess.ID, "message": "edit"}, &cr)
	if len(cr.Commit) < 40 {
		t.Fatalf("commit %+v", cr)
	}
	if _, ae := e.callErr("CommitChanges", map[string]any{"sessionId": sess.ID, "message": "again"}); ae.Code != CodeNothingToCommit {
		t.Fatalf("empty commit: %+v", ae)
	}
	var mr workspace.MergeResult
	e.call("MergeWorkspace", map[string]any{"sessionId": sess.ID, "strategy": "squash"}, &mr)
	if mr.Into != "main" || mr.Strategy != "squash" || !strings.Contains(gitT(t, repo, "show", "HEAD:a.txt"), "eighteen") {
		t.Fatalf("merge %+v", mr)
	}
	var rr RestoreCheckpointResult
	e.call("RestoreCheckpoint", map[string]any{"sessionId": sess.ID, "checkpointId": cps[0].Seq}, &rr)
	if rr.Saved.Seq <= cps[1].Seq {
		t.Fatalf("restore saved %+v", rr)
	}
	if _, ae := e.callErr("RestoreCheckpoint", map[string]any{"sessionId": sess.ID, "checkpointId": 99}); ae.Code != CodeNotFound {
		t.Fatalf("unknown checkpoint: %+v", ae)
	}
	if _, ae := e.callErr("CreatePullRequest", map[string]any{"sessionId": sess.ID, "title": "x"}); ae.Code != CodePolicyDenied {
		t.Fatalf("pull request without the gh capability: %+v", ae)
	}
	e.call("RemoveWorkspace", map[string]any{"sessionId": sess.ID, "force": true, "deleteBranch": true}, nil)
	if _, err := os.Stat(sess.Workspace.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("worktree after a forced remove: %v", err)
	}
	if _, ae := e.callErr("GetChanges", map[string]any{"sessionId": sess.ID}); ae.Code != CodeNoWorkspace {
		t.Fatalf("changes after remove: %+v", ae)
	}
	e.call("DeleteSession", map[string]any{"sessionId": sess.ID}, nil)
}

// Creating sessions: the error codes of directories that cannot have a
// worktree, and of calls on a session without one.
func TestWorkspaceCreateErrorsOverHTTP(t *testing.T) {
	repo := wsRepo(t)
	bare := t.TempDir()
	gitT(t, bare, "init", "-q", "--bare")
	e := startE2E(t, t.TempDir())
	defer e.close()
	for _, c := range []struct {
		params map[string]any
		code   string
	}{
		{map[string]any{"agent": "fake", "cwd": t.TempDir(), "isolation": "worktree"}, CodeNotARepository},
		{map[string]any{"agent": "fake", "cwd": bare, "isolation": "worktree"}, CodeBareRepository},
		{map[string]any{"agent": "fake", "cwd": repo, "baseRef": "nope"}, CodeInvalidArgument},
		{map[string]any{"agent": "fake", "cwd": repo, "isolation": "vm"}, CodeInvalidArgument},
	} {
		if _, ae := e.callErr("CreateSession", c.params); ae.Code != c.code {
			t.Errorf("%v: %+v, want %s", c.params, ae, c.code)
		}
	}
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": repo, "isolation": "none"}, &sess)
	if sess.Workspace != nil || !sess.CanFork {
		t.Fatalf("session %+v", sess)
	}
	for _, m := range []string{"ListCheckpoints", "GetChanges", "RemoveWorkspace"} {
		if _, ae := e.callErr(m, map[string]any{"sessionId": sess.ID}); ae.Code != CodeNoWorkspace {
			t.Errorf("%s without a worktree: %+v", m, ae)
		}
	}
	if _, ae := e.callErr("ForkSession", map[string]any{"sessionId": sess.ID}); ae.Code != CodeInvalidArgument {
		t.Errorf("fork without a checkpoint: %+v", ae)
	}
	var agents []session.AgentInfo
	e.call("ListAgents", Empty{}, &agents)
	for _, a := range agents {
		if a.Protocol == "claude" && !a.CanFork || a.Protocol != "claude" && a.CanFork {
			t.Errorf("agent %s (%s) canFork %v", a.Name, a.Protocol, a.CanFork)
		}
	}
}

// The mapping of the workspace package's errors to codes.
func TestWorkspaceErrorCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		code string
	}{
		{&workspace.BranchExistsError{Branch: "corral/x"}, CodeBranchExists},
		{&workspace.PathExistsError{Path: "/x"}, CodeBranchExists},
		{workspace.ErrGitMissing, CodeGitMissing},
		{workspace.ErrGhMissing, CodeGhMissing},
		{&workspace.GitTooOldError{Have: "2.30", Need: "2.38"}, CodeGitMissing},
		{workspace.ErrNoCommits, CodeNoCommits},
		{workspace.ErrBusy, CodeWorkspaceBusy},
		{session.ErrUnsupported, CodeUnsupported},
		{&session.SetupFailedError{Capability: "npm-ci", ExitCode: 1}, CodeSetupFailed},
		{&workspace.DirtyError{}, CodeDirtyWorktree},
		{&workspace.ConflictError{Op: "merge", Files: []string{"a"}}, CodeConflict},
		{&workspace.PathError{Path: "/etc"}, CodeInvalidArgument},
	} {
		if got := AsError(c.err); got.Code != c.code {
			t.Errorf("%v: %s, want %s", c.err, got.Code, c.code)
		}
		if HTTPStatus(c.code) == http.StatusInternalServerError {
			t.Errorf("%s has no status", c.code)
		}
	}
	if d, ok := AsError(&workspace.ConflictError{Op: "merge"}).Details.(ConflictDetails); !ok || d.Files == nil {
		t.Errorf("conflict details %+v", d)
	}
}
