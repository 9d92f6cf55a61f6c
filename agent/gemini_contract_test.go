package agent_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

func geminiSetup(t *testing.T, sc mockllm.Scenario) (*mockllm.Server, agent.SessionOptions) {
	t.Helper()
	return cliSetup(t, clitest.Gemini, sc, func(home, url string) []string { return clitest.GeminiEnv(t, home, url) })
}

// geminiTurn runs one turn in its own process.
func geminiTurn(t *testing.T, opts agent.SessionOptions, text string, idle time.Duration) (*agenttest.Proc, agenttest.Turn, error) {
	t.Helper()
	p := startProc(t, agent.Gemini{}, opts, &agent.Turn{Text: text})
	tr, err := p.WaitTurn(deadline(t), idle)
	return p, tr, err
}

func TestGeminiContractTurnsWithResume(t *testing.T) {
	m, opts := geminiSetup(t, mockllm.Echo())
	p, t1, err := geminiTurn(t, opts, "hello gemini", turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if t1.Text() != "reply 1: hello gemini" {
		t.Fatalf("turn 1 %q", t1.Text())
	}
	id := p.Conn.SessionID()
	if id == "" || len(t1.Kinds(event.Usage)) != 1 {
		t.Fatalf("session %q, usage %v", id, t1.Kinds(event.Usage))
	}
	if err := p.Wait(deadline(t)); err != nil {
		t.Fatalf("turn process exit: %v", err)
	}
	record(t, clitest.Gemini, "turn1", p.Stdout())

	opts.ResumeID = id
	p2, t2, err := geminiTurn(t, opts, "second message", turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if t2.Text() != "reply 2: second message" || p2.Conn.SessionID() != id {
		t.Fatalf("turn 2 %q in %q", t2.Text(), p2.Conn.SessionID())
	}
	reqs := m.ModelRequests()
	if got := reqs[len(reqs)-1].UserTexts(); len(got) != 2 || got[0] != "hello gemini" {
		t.Fatalf("resumed request carried %q", got)
	}
	record(t, clitest.Gemini, "resume", p2.Stdout())
}

func TestGeminiContractToolUseYolo(t *testing.T) {
	_, opts := geminiSetup(t, touch("marker.txt"))
	opts.PermissionMode = "yolo"
	p, tr, err := geminiTurn(t, opts, "make a file", turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	wantFile(t, opts.Cwd, "marker.txt", true)
	if calls := tr.Kinds(event.ToolCall); len(calls) != 1 {
		t.Fatalf("tool calls %v", calls)
	}
	wantToolResult(t, tr, false)
	record(t, clitest.Gemini, "tool-yolo", p.Stdout())
}

func TestGeminiContractToolRefusedWithoutApproval(t *testing.T) {
	m, opts := geminiSetup(t, touch("marker.txt"))
	p, tr, err := geminiTurn(t, opts, "make a file", turnIdle)
	record(t, clitest.Gemini, "tool-default", p.Stdout())
	if err != nil {
		t.Fatal(err)
	}
	// A tool needing approval must not run in headless default mode.
	wantFile(t, opts.Cwd, "marker.txt", false)
	// Headless default mode does not offer the shell tool; the call
	// fails and the model sees the failure.
	wantToolResult(t, tr, true)
	if last, ok := lastToolResult(m); !ok || last.Content == "" {
		t.Fatalf("model saw %+v", last)
	}
}

func TestGeminiContractAuthError(t *testing.T) {
	_, opts := geminiSetup(t, mockllm.Error(401, "mock failure"))
	p, _, err := geminiTurn(t, opts, "hi", turnIdle)
	record(t, clitest.Gemini, "error-http401", p.Stdout())
	wantAPIError(t, err, agent.CodeAuth, 401)
}

func TestGeminiContractStallEndsByIdleTimeout(t *testing.T) {
	_, opts := geminiSetup(t, mockllm.Stall())
	_, _, err := geminiTurn(t, opts, "hi", 8*time.Second)
	wantIdleTimeout(t, err)
}

// TestGeminiContractSettingsFile runs a turn in a HOME without any
// settings: the adapter's system settings file selects API-key auth.
func TestGeminiContractSettingsFile(t *testing.T) {
	_, opts := geminiSetup(t, mockllm.Text("configured"))
	home := filepath.Dir(opts.Cwd)
	if err := os.Remove(filepath.Join(home, ".gemini", "settings.json")); err != nil {
		t.Fatal(err)
	}
	settings := filepath.Join(home, "corral-gemini-settings.json")
	if err := agent.WriteGeminiSettings(settings); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, agent.Gemini{SettingsFile: settings}, opts, &agent.Turn{Text: "hi"})
	tr, err := p.WaitTurn(deadline(t), turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text() != "configured" {
		t.Fatalf("text %q", tr.Text())
	}
}
