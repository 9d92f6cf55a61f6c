package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// lastLine decodes the last line written to w.
func lastLine(t *testing.T, w *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("line %q: %v", lines[len(lines)-1], err)
	}
	return m
}

func TestClaudeSetModelAndModeControlRequests(t *testing.T) {
	var w bytes.Buffer
	c := newClaude(&w)
	var s OptionSetter = c
	if err := s.SetModel("claude-opus-4-5"); err != nil {
		t.Fatal(err)
	}
	m := lastLine(t, &w)
	req, _ := m["request"].(map[string]any)
	if m["type"] != "control_request" || m["request_id"] == "" || req["subtype"] != "set_model" || req["model"] != "claude-opus-4-5" {
		t.Fatalf("set_model %v", m)
	}
	if err := s.SetPermissionMode("plan"); err != nil {
		t.Fatal(err)
	}
	m = lastLine(t, &w)
	req, _ = m["request"].(map[string]any)
	if req["subtype"] != "set_permission_mode" || req["mode"] != "plan" {
		t.Fatalf("set_permission_mode %v", m)
	}
	// The empty choice is the CLI's default, said out loud.
	if claudeSetModel("")["model"] != "default" || claudeSetMode("")["mode"] != "default" {
		t.Fatal("empty option is not 'default'")
	}
	w.Reset()
	var bad *InvalidOptionError
	if err := s.SetModel("--dangerous"); !errors.As(err, &bad) || w.Len() != 0 {
		t.Fatalf("flag-like model: %v, wrote %q", err, w.String())
	}
	if err := s.SetPermissionMode("yolo"); !errors.As(err, &bad) || w.Len() != 0 {
		t.Fatalf("unknown mode: %v, wrote %q", err, w.String())
	}
}

func TestCodexModelAndApprovalGoWithTheNextTurn(t *testing.T) {
	var w bytes.Buffer
	c := codexPrimed(t, &w, 0)
	decodeAll(t, c, [][]byte{[]byte(`{"id":2,"result":{"thread":{"id":"th1","cliVersion":"9"},"model":"m"}}`)})
	if err := c.SendUserTurn("one"); err != nil {
		t.Fatal(err)
	}
	p, _ := lastLine(t, &w)["params"].(map[string]any)
	if _, has := p["model"]; has {
		t.Fatalf("first turn carries a model: %v", p)
	}
	if err := c.SetModel("gpt-5"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPermissionMode("on-request"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPermissionMode("plan"); err == nil {
		t.Fatal("codex accepted a Claude mode")
	}
	if err := c.SendUserTurn("two"); err != nil {
		t.Fatal(err)
	}
	m := lastLine(t, &w)
	p, _ = m["params"].(map[string]any)
	if m["method"] != "turn/start" || p["model"] != "gpt-5" || p["approvalPolicy"] != "on-request" || p["threadId"] != "th1" {
		t.Fatalf("second turn %v", m)
	}
	if got := codexTurnOverrides("", ""); len(got) != 0 {
		t.Fatalf("no overrides: %v", got)
	}
}

func TestACPSetModelAndMode(t *testing.T) {
	var w bytes.Buffer
	c := ACP{}.NewConn(SessionOptions{Cwd: "/w"}, &w, ConnConfig{Now: fixedNow}).(*acpConn)
	if err := c.SetModel("m2"); !errors.Is(err, ErrNotReady) {
		t.Fatalf("before the session: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":1,"agentInfo":{"version":"1"}}}`)})
	evs := decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","id":2,"result":{"sessionId":"s1","models":{"currentModelId":"m1","availableModels":[{"modelId":"m1","name":"One"},{"modelId":"m2","name":"Two"}]},"modes":{"currentModeId":"default","availableModes":[{"id":"default","name":"Ask"},{"id":"plan","name":"Plan"}]}}}`)})
	init := data[InitData](t, kinds(evs, "agent.init")[0])
	if init.Model != "m1" || strings.Join(init.Models, ",") != "m1,m2" || strings.Join(init.Modes, ",") != "default,plan" {
		t.Fatalf("init %+v", init)
	}
	if err := c.SetModel("m2"); err != nil {
		t.Fatal(err)
	}
	m := lastLine(t, &w)
	p, _ := m["params"].(map[string]any)
	if m["method"] != "session/set_model" || p["sessionId"] != "s1" || p["modelId"] != "m2" {
		t.Fatalf("set_model %v", m)
	}
	if err := c.SetPermissionMode("plan"); err != nil {
		t.Fatal(err)
	}
	m = lastLine(t, &w)
	p, _ = m["params"].(map[string]any)
	if m["method"] != "session/set_mode" || p["modeId"] != "plan" {
		t.Fatalf("set_mode %v", m)
	}
}

func TestContextWindowTable(t *testing.T) {
	for model, want := range map[string]int64{
		"claude-sonnet-4-5":     200_000,
		"claude-sonnet-4-5[1m]": 1_000_000,
		"gpt-5-codex":           400_000,
		"openai/gpt-5":          400_000,
		"gemini-2.5-pro":        1_048_576,
		"GPT-4.1-mini":          1_047_576,
		"llama3":                0,
		"":                      0,
	} {
		if got := ContextWindow(model); got != want {
			t.Errorf("ContextWindow(%q) = %d, want %d", model, got, want)
		}
	}
	for _, e := range Entries() {
		for _, m := range e.Models {
			if m.ContextWindow == 0 || CheckModel(m.ID) != nil {
				t.Errorf("%s: model %+v has no window or is not a plain name", e.Protocol, m)
			}
		}
		if e.PlanMode != "" && e.CheckPermissionMode(e.PlanMode) != nil {
			t.Errorf("%s: plan mode %q is not one of its modes", e.Protocol, e.PlanMode)
		}
	}
}
