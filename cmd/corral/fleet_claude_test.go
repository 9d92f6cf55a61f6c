//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// TestFleetClaudeOnRunner runs the real Claude Code on a runner, against
// the mock model: the model asks for a shell command, the permission
// request reaches the hub's event stream, the hub's RespondPermission
// approves it on the runner, and the command runs there.
func TestFleetClaudeOnRunner(t *testing.T) {
	bin := clitest.Require(t, clitest.Claude)
	p := startFleetPair(t)
	cwd := filepath.Join(p.runHome, "work")
	os.MkdirAll(cwd, 0o755)
	made := filepath.Join(cwd, "approved.txt")
	m, err := mockllm.Start(mockllm.ToolThenText(mockllm.Shell("touch " + made)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	home := clitest.Home(t)
	p.runCfg = claudeConfig(t, p.runHome, bin, home, m.URL, p.agentMark)
	r := startRunner(t, p.runHome, p.hubURL, p.creds, p.runCfg)
	p.hub.awaitRunner("box", "online with claude", func(x *runnerRow) bool {
		return x != nil && x.Status == "online" && strings.Contains(strings.Join(x.Agents, ","), "claude")
	})
	sp := p.hub
	var sess struct{ ID, Runner string }
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"claude","cwd":%q,"runner":"box"}`, cwd), &sess)
	if sess.Runner != "box" {
		t.Fatalf("session %+v", sess)
	}
	evs := sp.hubEvents(sess.ID)
	var sent struct{ RunID string }
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"make the file"}`, sess.ID), &sent)
	seen := awaitEvent(t, evs, "Claude's permission request", func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	var pr agent.PermissionRequestData
	json.Unmarshal(seen[len(seen)-1].Data, &pr)
	if _, err := os.Stat(made); !os.IsNotExist(err) {
		t.Fatalf("the command ran before it was approved: %v", err)
	}
	var got struct{ Status string }
	sp.mustCall("GetSession", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), &got)
	if got.Status != "waiting_permission" {
		t.Fatalf("status while asking: %q", got.Status)
	}
	sp.mustCall("RespondPermission", fmt.Sprintf(`{"sessionId":%q,"requestId":%q,"allow":true}`, sess.ID, pr.RequestID), nil)
	seen = awaitEvent(t, evs, "the turn's end", func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == sent.RunID })
	if why := exitReason(seen[len(seen)-1]); why != "exit" {
		t.Fatalf("turn ended with %q", why)
	}
	var text strings.Builder
	for _, ev := range seen {
		if ev.Kind == event.AssistantText {
			var d struct{ Text string }
			json.Unmarshal(ev.Data, &d)
			text.WriteString(d.Text)
		}
	}
	if _, err := os.Stat(made); err != nil || !strings.Contains(text.String(), "tool result") {
		t.Fatalf("the approved command did not run on the runner (%v); the model's answer: %q", err, text.String())
	}
	r.stop(t)
	sp.stop()
}
