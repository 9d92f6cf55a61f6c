package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

// replayACP plays a recorded agent stream against a client Conn that
// sends its requests in the recorded order: the first turn up front and
// each next turn once the previous one completed.
func replayACP(t *testing.T, w *bytes.Buffer, name string, turns int) (*acpConn, []event.Event) {
	return replayACPDir(t, w, geminiFixtures, name, turns)
}

func replayACPDir(t *testing.T, w *bytes.Buffer, dir, name string, turns int) (*acpConn, []event.Event) {
	t.Helper()
	c := ACP{}.NewConn(SessionOptions{Cwd: "/w"}, w, ConnConfig{Now: fixedNow}).(*acpConn)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.SendUserTurn("turn 1"); err != nil {
		t.Fatal(err)
	}
	sent := 1
	var all []event.Event
	for _, l := range readLines(t, fixture(dir, name)) {
		evs := decodeAll(t, c, [][]byte{l})
		all = append(all, evs...)
		if len(kinds(evs, event.TurnCompleted)) > 0 && sent < turns {
			sent++
			if err := c.SendUserTurn("next"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c, all
}

func TestACPLaunchNeedsProgram(t *testing.T) {
	if _, err := (ACP{}).Launch(SessionOptions{}, nil); !errors.Is(err, ErrNoProgram) {
		t.Fatal(err)
	}
	spec, err := ACP{AdapterName: "gemini-acp"}.Launch(SessionOptions{Program: "gemini", Args: []string{"--acp"}}, nil)
	if err != nil || spec.Program != "gemini" || spec.Args[0] != "--acp" || !spec.Stdin || (ACP{AdapterName: "gemini-acp"}).Name() != "gemini-acp" {
		t.Fatalf("%+v %v", spec, err)
	}
}

func TestACPMultiturnFixture(t *testing.T) {
	var w bytes.Buffer
	c, evs := replayACP(t, &w, "acp-multiturn", 2)
	if got := deltaText(t, evs, event.AssistantText); got != "reply 1: hello acpreply 2: second" {
		t.Fatalf("text %q", got)
	}
	tcs := kinds(evs, event.TurnCompleted)
	if len(tcs) != 2 || !data[TurnCompletedData](t, tcs[1]).OK {
		t.Fatalf("turns %v", tcs)
	}
	init := data[InitData](t, kinds(evs, event.AgentInit)[0])
	if init.Version != "0.61.0" || init.SessionID == "" || c.SessionID() != init.SessionID {
		t.Fatalf("init %+v", init)
	}
	// The client wrote initialize, session/new and two prompts, all
	// JSON-RPC 2.0.
	var methods []string
	for _, l := range strings.Split(strings.TrimSpace(w.String()), "\n") {
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		if m["jsonrpc"] != "2.0" {
			t.Fatalf("no jsonrpc member: %s", l)
		}
		methods = append(methods, m["method"].(string))
	}
	if strings.Join(methods, ",") != "initialize,session/new,session/prompt,session/prompt" {
		t.Fatalf("client sent %v", methods)
	}
}

func TestACPPermissionFixtures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		allow bool
	}{{"acp-permission-allow", true}, {"acp-permission-deny", false}} {
		var w bytes.Buffer
		c, evs := replayACP(t, &w, tc.name, 1)
		reqs := kinds(evs, event.PermissionRequest)
		if len(reqs) != 1 {
			t.Fatalf("%s: %d requests", tc.name, len(reqs))
		}
		req := data[PermissionRequestData](t, reqs[0])
		if req.Tool != "touch marker.txt" || req.RequestID != "0" || req.ToolUseID == "" {
			t.Fatalf("%s: %+v", tc.name, req)
		}
		if d := lastCompleted(t, evs); !d.OK || d.StopReason != "end_turn" {
			t.Fatalf("%s: %+v", tc.name, d)
		}
		if tc.allow && (len(kinds(evs, event.ToolResult)) != 1 || data[ToolResultData](t, kinds(evs, event.ToolResult)[0]).IsError) {
			t.Fatalf("%s: tool result", tc.name)
		}
		// Each answer picks the option of the right kind.
		for _, a := range []struct {
			ans  PermissionAnswer
			want string
		}{
			{PermissionAnswer{Allow: true}, `"optionId":"proceed_once"`},
			{PermissionAnswer{Allow: true, Remember: true}, `"optionId":"proceed_always"`},
			{PermissionAnswer{}, `"optionId":"cancel"`},
		} {
			// This Conn did not answer the recorded request, so the prompt's
			// end withdrew it; pend it again for each answer.
			c.pending["0"] = acpPending{id: json.RawMessage("0"), options: []acpOption{
				{OptionID: "proceed_always", Kind: "allow_always"}, {OptionID: "proceed_once", Kind: "allow_once"}, {OptionID: "cancel", Kind: "reject_once"}}}
			w.Reset()
			a.ans.RequestID = "0"
			if err := c.RespondPermission(a.ans); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(w.String(), a.want) || !strings.Contains(w.String(), `"id":0`) {
				t.Fatalf("answer %+v wrote %s", a.ans, w.String())
			}
		}
		c.pending["0"] = acpPending{id: json.RawMessage("0"), options: []acpOption{
			{OptionID: "proceed_always", Kind: "allow_always"}, {OptionID: "proceed_once", Kind: "allow_once"}, {OptionID: "cancel", Kind: "reject_once"}}}
		if err := c.RespondPermission(PermissionAnswer{RequestID: "0", Allow: true, Input: []byte("{}")}); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("edited input: %v", err)
		}
		// Interrupt answers the pending request "cancelled" before
		// session/cancel, as the protocol requires.
		w.Reset()
		if err := c.Interrupt(); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(strings.TrimSpace(w.String()), "\n"); len(lines) != 2 ||
			!strings.Contains(lines[0], `"outcome":"cancelled"`) || !strings.Contains(lines[1], `"session/cancel"`) {
			t.Fatalf("interrupt wrote %q", w.String())
		}
		if err := c.RespondPermission(PermissionAnswer{RequestID: "0"}); !errors.Is(err, ErrNoSuchRequest) {
			t.Fatal("request still pending after interrupt")
		}
	}
}

func TestACPCancelFixture(t *testing.T) {
	_, evs := replayACP(t, &bytes.Buffer{}, "acp-cancel", 1)
	if d := lastCompleted(t, evs); d.Error == nil || d.Error.Code != CodeInterrupted {
		t.Fatalf("cancel %+v", d)
	}
}

func TestACPDriftAndAgentRequests(t *testing.T) {
	var w bytes.Buffer
	c := ACP{}.NewConn(SessionOptions{}, &w, ConnConfig{Now: fixedNow}).(*acpConn)
	nonJSONCases(t, c)
	for _, line := range []string{
		`{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"plan","entries":[]}}}`,
		`{"jsonrpc":"2.0","method":"brand/new","params":{}}`,
	} {
		if evs := decodeAll(t, c, [][]byte{[]byte(line)}); evs[0].Kind != event.AgentOther {
			t.Fatalf("%s: %v", line, evs)
		}
	}
	evs := decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"tool_call_update","toolCallId":"t1","status":"failed","content":[{"type":"content","content":{"type":"text","text":"refused"}}]}}}`)})
	if r := data[ToolResultData](t, evs[0]); evs[0].Kind != event.ToolResult || !r.IsError || r.Output != "refused" {
		t.Fatalf("failed tool %v", evs)
	}
	evs = decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"agent_thought_chunk","content":{"type":"text","text":"hmm"}}}}`)})
	if evs[0].Kind != event.AssistantThinking || data[TextData](t, evs[0]).Text != "hmm" {
		t.Fatalf("thought %v", evs)
	}
	w.Reset()
	evs = decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","id":"abc","method":"fs/read_text_file","params":{"path":"/etc/passwd"}}`)})
	if evs[0].Kind != event.AgentOther || !strings.Contains(w.String(), `"id":"abc"`) || !strings.Contains(w.String(), `-32601`) {
		t.Fatalf("fs request: %v wrote %s", evs, w.String())
	}
	if err := c.Interrupt(); !errors.Is(err, ErrNotReady) {
		t.Fatalf("interrupt before session: %v", err)
	}
}

// TestACPOtherAgentsFixtures replays the streams recorded from
// claude-code-acp and codex-acp.
func TestACPOtherAgentsFixtures(t *testing.T) {
	for _, dir := range []string{"claude-code-acp-0.16.2", "codex-acp-0.16.0"} {
		_, evs := replayACPDir(t, &bytes.Buffer{}, dir, "acp-multiturn", 2)
		if got := deltaText(t, evs, event.AssistantText); got != "reply 1: hello acpreply 2: second" {
			t.Fatalf("%s: text %q", dir, got)
		}
		for _, name := range []string{"acp-permission-allow", "acp-permission-deny"} {
			_, evs := replayACPDir(t, &bytes.Buffer{}, dir, name, 1)
			reqs := kinds(evs, event.PermissionRequest)
			if len(reqs) != 1 || data[PermissionRequestData](t, reqs[0]).RequestID == "" {
				t.Fatalf("%s/%s: requests %v", dir, name, reqs)
			}
			if len(kinds(evs, event.TurnCompleted)) != 1 {
				t.Fatalf("%s/%s: no turn end", dir, name)
			}
		}
	}
}

func TestACPPromptEndWithdrawsPendingPermission(t *testing.T) {
	var w bytes.Buffer
	c := ACP{}.NewConn(SessionOptions{}, &w, ConnConfig{Now: fixedNow}).(*acpConn)
	c.Start()
	decodeAll(t, c, [][]byte{
		[]byte(`{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":1}}`),
		[]byte(`{"jsonrpc":"2.0","id":2,"result":{"sessionId":"s1"}}`),
	})
	c.SendUserTurn("go")
	decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","id":"p1","method":"session/request_permission","params":{"sessionId":"s1","toolCall":{"toolCallId":"t1","title":"rm"},"options":[]}}`)})
	evs := decodeAll(t, c, [][]byte{[]byte(`{"jsonrpc":"2.0","id":3,"result":{"stopReason":"cancelled"}}`)})
	if len(evs) != 2 || evs[0].Kind != event.PermissionResolved || data[PermissionResolvedData](t, evs[0]).RequestID != "p1" || evs[1].Kind != event.TurnCompleted {
		t.Fatalf("%v", evs)
	}
	if err := c.RespondPermission(PermissionAnswer{RequestID: "p1"}); !errors.Is(err, ErrNoSuchRequest) {
		t.Fatal(err)
	}
}
