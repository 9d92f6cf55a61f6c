package sessioncontract

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// importAndResume: a conversation made with the CLI itself, outside
// corral (claude -p / codex exec in the rig's cwd and HOME), is listed by
// ListExternalSessions, imported with its messages, and the imported
// session's agent resumes it: the second message's model request carries
// the first ("reply 2").
func importAndResume(t *testing.T, cli clitest.CLI) {
	r := newRig(t, cli, mockllm.Echo())
	r.runOutside("first message outside corral")
	list, err := r.mgr().ListExternalSessions(r.ctx, r.agent, r.cwd, 0)
	if err != nil || len(list) != 1 || list[0].Title != "first message outside corral" || list[0].Messages != 2 {
		t.Fatalf("ListExternalSessions: %+v, %v", list, err)
	}
	res, err := r.mgr().ImportSession(r.ctx, r.agent, list[0].ExternalID)
	if err != nil || res.AlreadyImported || res.Session.Imported == nil {
		t.Fatalf("ImportSession: %+v, %v", res, err)
	}
	s := res.Session
	w := r.watch(s.ID)
	if got := text(t, w.turnEnd(r.send(s.ID, "second message"))); got != "reply 2: second message" {
		t.Fatalf("the resumed conversation answered %q", got)
	}
	again, err := r.mgr().ImportSession(context.Background(), r.agent, list[0].ExternalID)
	if err != nil || !again.AlreadyImported || again.Session.ID != s.ID {
		t.Fatalf("second import: %+v, %v", again, err)
	}
	logs := r.checkLog(s.ID)
	var imported []string
	for _, ev := range logs[s.ID] {
		var d map[string]any
		if json.Unmarshal(ev.Data, &d) == nil && d["imported"] == true {
			imported = append(imported, ev.Kind)
		}
	}
	if len(imported) != 2 || imported[0] != event.RunStarted || imported[1] != event.AssistantText {
		t.Fatalf("imported events %v", imported)
	}
	if logs[s.ID][0].Kind != event.RunStarted {
		t.Fatalf("the log starts with %s", logs[s.ID][0].Kind)
	}
}

// runOutside runs one prompt with the rig's CLI as a user would in a
// shell, in the rig's cwd and HOME.
func (r *rig) runOutside(prompt string) {
	r.t.Helper()
	a := r.cfg.Agents[r.agent]
	var args []string
	switch r.cli.Name {
	case "claude":
		args = []string{"-p", prompt}
	case "codex":
		args = []string{"exec", "--skip-git-repo-check", prompt}
	}
	cmd := exec.CommandContext(r.ctx, a.Command, args...)
	cmd.Dir = r.cwd
	for k, v := range a.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("%s %v: %v\n%s", a.Command, args, err, out)
	}
}

func TestClaudeImportAndResume(t *testing.T) { importAndResume(t, clitest.Claude) }
func TestCodexImportAndResume(t *testing.T)  { importAndResume(t, clitest.Codex) }
