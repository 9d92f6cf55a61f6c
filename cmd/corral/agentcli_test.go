package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/internal/proctest"
)

// claudeConfig writes a config whose agent "claude" is the installed
// Claude Code talking to the mock at url, carrying mark.
func claudeConfig(t *testing.T, dir, bin, home, url, mark string) string {
	t.Helper()
	var env []string
	for _, kv := range append(clitest.ClaudeEnv(home, url), mark) {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, fmt.Sprintf("%s = %q", k, v))
	}
	cfg := filepath.Join(dir, "config.toml")
	toml := fmt.Sprintf("[agents.claude]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s }\n", bin, strings.Join(env, ", "))
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// awaitTurn follows the session's event stream from its start and returns
// as soon as the n-th turn.completed event arrives: a push, so that corral
// can be killed within a moment of the agent's result. The limit only
// keeps a broken test from hanging.
func (sp *serveProc) awaitTurn(sessionID string, n int) {
	sp.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", sp.base+"api/events?session="+sessionID, nil)
	req.Header.Set("Authorization", "Bearer "+sp.info.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sp.t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for seen := 0; seen < n; {
		line, err := br.ReadString('\n')
		if err != nil {
			sp.t.Fatalf("turn %d never completed (%d did): %v", n, seen, err)
		}
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"kind":"turn.completed"`) {
			seen++
		}
	}
}

func (sp *serveProc) mustCall(method, body string, out any) {
	sp.t.Helper()
	code, resp := sp.call(method, body)
	if code != 200 {
		sp.t.Fatalf("%s: %d %s", method, code, resp)
	}
	if out != nil {
		var env struct{ Result json.RawMessage }
		if err := json.Unmarshal([]byte(resp), &env); err != nil || json.Unmarshal(env.Result, out) != nil {
			sp.t.Fatalf("%s: %s", method, resp)
		}
	}
}

// TestServeAgentCLIKeepsTurnAfterSIGKILL kills corral serve with SIGKILL
// right after a turn of the real Claude Code completed. The agent must be
// let end gracefully (SIGTERM, not SIGKILL) so that it writes that turn to
// its transcript: after a restart, the resumed conversation carries it.
func TestServeAgentCLIKeepsTurnAfterSIGKILL(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal and the watchdog's leftover checks are exercised on Linux")
	}
	bin := clitest.Require(t, clitest.Claude)
	m, err := mockllm.Start(mockllm.Echo())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	home := clitest.Home(t)
	cwd := filepath.Join(home, "work")
	os.MkdirAll(cwd, 0o755)
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	data := filepath.Join(home, "corral-data")
	cfg := claudeConfig(t, home, bin, home, m.URL, mark)

	sp := startServe(t, data, cfg)
	var sess struct{ ID string }
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"claude","cwd":%q}`, cwd), &sess)
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"remember the word apple"}`, sess.ID), nil)
	sp.awaitTurn(sess.ID, 1)
	if err := sp.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sp.cmd.Wait()
	if left := proctest.WaitGone(mark, 20*time.Second); len(left) > 0 {
		t.Fatalf("the agent outlived a SIGKILLed corral: %v", left)
	}

	sp2 := startServe(t, data, cfg)
	sp2.mustCall("ResumeSession", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), nil)
	sp2.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"what was the word"}`, sess.ID), nil)
	sp2.awaitTurn(sess.ID, 2)
	// The model sees the whole first turn, its answer included.
	reqs := m.ModelRequests()
	var texts []string
	for _, msg := range reqs[len(reqs)-1].Messages {
		for _, text := range msg.Texts {
			texts = append(texts, msg.Role+": "+strings.TrimSpace(text))
		}
	}
	if !slices.Contains(texts, "user: remember the word apple") || !slices.Contains(texts, "assistant: reply 1: remember the word apple") {
		t.Fatalf("the resumed conversation lost the turn finished before the kill: the model saw %q", texts)
	}
	sp2.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, sp2.cmd.Wait()); code != 0 {
		t.Fatalf("exit %d: %s", code, sp2.errb.String())
	}
}
