package agent_test

import (
	"os"
	"path/filepath"
	"strings"
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
	return geminiSetupWith(t, sc, clitest.GeminiOptions{})
}

// geminiSetupWith is geminiSetup with the CLI's settings adjusted by o.
func geminiSetupWith(t *testing.T, sc mockllm.Scenario, o clitest.GeminiOptions) (*mockllm.Server, agent.SessionOptions) {
	t.Helper()
	return cliSetup(t, clitest.Gemini, sc, func(home, url string) []string { return clitest.GeminiEnvWith(t, home, url, o) })
}

// recordStderr writes the stderr of a run next to its stdout fixture, as
// NAME.stderr, when fixtures are being recorded.
func recordStderr(t *testing.T, name string, p *agenttest.Proc) {
	t.Helper()
	if os.Getenv("CORRAL_RECORD_FIXTURES") != "1" {
		return
	}
	dir := filepath.Join("testdata", clitest.Gemini.Name+"-"+clitest.Gemini.Version)
	if err := os.WriteFile(filepath.Join(dir, name+".stderr"), []byte(p.StderrText()), 0o644); err != nil {
		t.Fatal(err)
	}
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

// TestGeminiContractApprovalModes: headless mode never asks. A tool the
// approval mode does not allow unasked is not registered at all, so the
// model's call fails with "Tool ... not found" and the turn goes on:
// default allows neither the shell nor file writes, auto_edit allows file
// writes but not the shell (yolo allows both: TestGeminiContractToolUseYolo).
func TestGeminiContractApprovalModes(t *testing.T) {
	for _, tc := range []struct {
		mode, tool string
		runs       bool
	}{
		{"default", "write_file", false},
		{"auto_edit", "write_file", true},
		{"auto_edit", "run_shell_command", false},
	} {
		t.Run(tc.mode+"/"+tc.tool, func(t *testing.T) {
			m, opts := geminiSetup(t, touch("marker.txt"))
			if tc.tool == "write_file" {
				m.SetScenario(mockllm.ToolThenText(mockllm.WriteFile(filepath.Join(opts.Cwd, "marker.txt"), "x")))
			}
			opts.PermissionMode = tc.mode
			_, tr, err := geminiTurn(t, opts, "make a file", turnIdle)
			if err != nil {
				t.Fatal(err)
			}
			wantFile(t, opts.Cwd, "marker.txt", tc.runs)
			if n := len(tr.Kinds(event.PermissionRequest)); n != 0 {
				t.Fatalf("%d permission requests in headless mode", n)
			}
			wantToolResult(t, tr, !tc.runs)
			res := agenttest.Data[agent.ToolResultData](tr.Kinds(event.ToolResult)[0])
			if !tc.runs && !strings.Contains(res.Output, `Tool "`+tc.tool+`" not found`) {
				t.Fatalf("refused %s: %+v", tc.tool, res)
			}
		})
	}
}

func TestGeminiContractAuthError(t *testing.T) {
	_, opts := geminiSetup(t, mockllm.Error(401, "mock failure"))
	p, _, err := geminiTurn(t, opts, "hi", turnIdle)
	record(t, clitest.Gemini, "error-http401", p.Stdout())
	wantAPIError(t, err, agent.CodeAuth, 401)
}

// TestGeminiContractServerError: the CLI retries an HTTP 500 after 5 s
// (±30%, doubling to 30 s; Retry-After is not read) up to
// general.maxAttempts times, 10 by default: minutes. With 2 it retries
// once, which its stderr reports (agent.retry with the status), and then
// ends the turn with the API's error.
func TestGeminiContractServerError(t *testing.T) {
	m, opts := geminiSetupWith(t, mockllm.Error(500, "mock failure"), clitest.GeminiOptions{MaxAttempts: 2})
	p, tr, err := geminiTurn(t, opts, "hi", turnIdle)
	record(t, clitest.Gemini, "error-http500", p.Stdout())
	recordStderr(t, "error-http500", p)
	wantAPIError(t, err, agent.CodeAPI, 500)
	wantGeminiRetries(t, tr, 500)
	if n := len(m.ModelRequests()); n != 2 {
		t.Fatalf("%d model requests, want 2", n)
	}
}

// TestGeminiContractRateLimited: a 429 without quota details is a rate
// limit the CLI expects to pass: it retries like a 500.
func TestGeminiContractRateLimited(t *testing.T) {
	m, opts := geminiSetupWith(t, mockllm.Error(429, "mock failure"), clitest.GeminiOptions{MaxAttempts: 2})
	p, tr, err := geminiTurn(t, opts, "hi", turnIdle)
	record(t, clitest.Gemini, "error-http429", p.Stdout())
	recordStderr(t, "error-http429", p)
	wantAPIError(t, err, agent.CodeRateLimit, 429)
	wantGeminiRetries(t, tr, 429)
	if n := len(m.ModelRequests()); n != 2 {
		t.Fatalf("%d model requests, want 2", n)
	}
}

// TestGeminiContractDailyQuota: a 429 whose QuotaFailure names a per-day
// quota ends the turn at the first answer, with the CLI's default
// retries; the CLI replaces the API's message with its own and names the
// status only by its rate-limit advice.
func TestGeminiContractDailyQuota(t *testing.T) {
	m, opts := geminiSetup(t, mockllm.DailyQuota())
	p, tr, err := geminiTurn(t, opts, "hi", turnIdle)
	record(t, clitest.Gemini, "error-http429-daily-quota", p.Stdout())
	wantAPIError(t, err, agent.CodeRateLimit, 429)
	if n := len(m.ModelRequests()); n != 1 || len(tr.Kinds(event.AgentRetry)) != 0 {
		t.Fatalf("%d model requests, %d retries; want 1 and none", n, len(tr.Kinds(event.AgentRetry)))
	}
}

// wantGeminiRetries checks a turn retried once after an HTTP status.
func wantGeminiRetries(t *testing.T, tr agenttest.Turn, status int) {
	t.Helper()
	retries := tr.Kinds(event.AgentRetry)
	if len(retries) != 1 {
		t.Fatalf("%d agent.retry events, want 1", len(retries))
	}
	if d := agenttest.Data[agent.RetryData](retries[0]); d.Attempt != 1 || d.HTTPStatus != status {
		t.Fatalf("retry %+v", d)
	}
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
