package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

const codexFixtures = "codex-0.171.0"

func newCodex(w *bytes.Buffer, opts SessionOptions) *codexConn {
	return Codex{}.NewConn(opts, w, ConnConfig{Now: fixedNow}).(*codexConn)
}

// codexPrimed returns a Conn that has written its handshake, so responses
// in a fixture find their methods by id (ids are numbered in the same
// order as in the recorded run).
func codexPrimed(t *testing.T, w *bytes.Buffer, turns int) *codexConn {
	c := newCodex(w, SessionOptions{Cwd: "/w", PermissionMode: "untrusted", Sandbox: "workspace-write"})
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < turns; i++ {
		if err := c.SendUserTurn("turn"); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestCodexHandshakeAndQueuedTurn(t *testing.T) {
	var w bytes.Buffer
	c := codexPrimed(t, &w, 1)
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("wrote %q", w.String())
	}
	var start rpcMessage
	json.Unmarshal([]byte(lines[2]), &start)
	var params map[string]any
	json.Unmarshal(start.Params, &params)
	if start.Method != "thread/start" || params["approvalPolicy"] != "untrusted" || params["sandbox"] != "workspace-write" || params["cwd"] != "/w" {
		t.Fatalf("thread/start %s", lines[2])
	}
	// The turn is queued until thread/start answers, then written.
	w.Reset()
	decodeAll(t, c, [][]byte{[]byte(`{"id":2,"result":{"thread":{"id":"th1","cliVersion":"9"},"model":"m"}}`)})
	if !strings.Contains(w.String(), `"method":"turn/start"`) || !strings.Contains(w.String(), `"threadId":"th1"`) {
		t.Fatalf("queued turn not sent: %q", w.String())
	}
	if c.SessionID() != "th1" {
		t.Fatal("thread id not kept")
	}
	if err := c.Interrupt(); !errors.Is(err, ErrNotReady) {
		t.Fatalf("interrupt without a turn: %v", err)
	}
	// Resume uses thread/resume.
	w.Reset()
	r := newCodex(&w, SessionOptions{ResumeID: "th1"})
	r.Start()
	if !strings.Contains(w.String(), `"method":"thread/resume"`) || !strings.Contains(w.String(), `"threadId":"th1"`) || r.SessionID() != "th1" {
		t.Fatalf("resume wrote %q", w.String())
	}
}

func TestCodexMultiturnFixture(t *testing.T) {
	var w bytes.Buffer
	c := codexPrimed(t, &w, 1)
	evs := decodeAll(t, c, readLines(t, fixture(codexFixtures, "multiturn")))
	if got := deltaText(t, evs, event.AssistantText); got != "reply 1: hello therereply 2: second message" {
		t.Fatalf("deltas %q", got)
	}
	tcs := kinds(evs, event.TurnCompleted)
	if len(tcs) != 2 || !data[TurnCompletedData](t, tcs[1]).OK {
		t.Fatalf("turns %v", tcs)
	}
	if init := data[InitData](t, kinds(evs, event.AgentInit)[0]); init.Version != "0.171.0" || init.SessionID == "" {
		t.Fatalf("init %+v", init)
	}
	if u := data[UsageData](t, kinds(evs, event.Usage)[0]); u.InputTokens == 0 || u.OutputTokens == 0 {
		t.Fatalf("usage %+v", u)
	}
	if len(kinds(evs, event.AgentStatus)) == 0 {
		t.Fatal("status changes not mapped")
	}
}

func TestCodexApprovalFixtures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		allow bool
	}{{"approval-allow", true}, {"approval-deny", false}} {
		var w bytes.Buffer
		c := codexPrimed(t, &w, 1)
		evs := decodeAll(t, c, readLines(t, fixture(codexFixtures, tc.name)))
		reqs := kinds(evs, event.PermissionRequest)
		if len(reqs) != 1 {
			t.Fatalf("%s: %d requests", tc.name, len(reqs))
		}
		req := data[PermissionRequestData](t, reqs[0])
		if req.Tool != "commandExecution" || !strings.Contains(string(req.Input), "touch marker.txt") || req.ToolUseID == "" {
			t.Fatalf("%s: request %+v", tc.name, req)
		}
		calls := kinds(evs, event.ToolCall)
		results := kinds(evs, event.ToolResult)
		if len(calls) != 1 || len(results) != 1 {
			t.Fatalf("%s: calls %d results %d", tc.name, len(calls), len(results))
		}
		res := data[ToolResultData](t, results[0])
		if res.IsError == tc.allow || (tc.allow && (res.ExitCode == nil || *res.ExitCode != 0)) || (!tc.allow && res.Status != "declined") {
			t.Fatalf("%s: result %+v", tc.name, res)
		}
		// This Conn did not answer, so the fixture's serverRequest/resolved
		// reads as a withdrawal; pend the request again and answer it.
		if len(kinds(evs, event.PermissionResolved)) != 1 {
			t.Fatalf("%s: resolved not mapped", tc.name)
		}
		c.pending[req.RequestID] = codexPending{id: json.RawMessage(req.RequestID), method: "item/commandExecution/requestApproval"}
		w.Reset()
		if err := c.RespondPermission(PermissionAnswer{RequestID: req.RequestID, Allow: true, Input: []byte(`{}`)}); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("edited input: %v", err)
		}
		if err := c.RespondPermission(PermissionAnswer{RequestID: req.RequestID, Allow: true, Remember: true}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(w.String(), `"decision":"acceptForSession"`) || !strings.HasPrefix(w.String(), `{"id":0,`) {
			t.Fatalf("answer %q", w.String())
		}
		if err := c.RespondPermission(PermissionAnswer{RequestID: req.RequestID}); !errors.Is(err, ErrNoSuchRequest) {
			t.Fatalf("second answer: %v", err)
		}
	}
}

func TestCodexErrorAndInterruptFixtures(t *testing.T) {
	for _, tc := range append(apiErrorRuns[:len(apiErrorRuns):len(apiErrorRuns)], failedRun{"interrupt", CodeInterrupted, 0}) {
		evs := decodeAll(t, codexPrimed(t, &bytes.Buffer{}, 1), readLines(t, fixture(codexFixtures, tc.name)))
		wantFailed(t, evs, tc)
	}
}

func TestCodexLegacyApprovalAndUnsupportedRequests(t *testing.T) {
	var w bytes.Buffer
	c := codexPrimed(t, &w, 0)
	nonJSONCases(t, c)
	evs := decodeAll(t, c, [][]byte{[]byte(`{"id":"x7","method":"execCommandApproval","params":{"callId":"c1","command":["rm","-rf","x"],"cwd":"/w"}}`)})
	if evs[0].Kind != event.PermissionRequest || data[PermissionRequestData](t, evs[0]).RequestID != "x7" {
		t.Fatalf("legacy request %v", evs)
	}
	w.Reset()
	if err := c.RespondPermission(PermissionAnswer{RequestID: "x7"}); err != nil {
		t.Fatal(err)
	}
	if w.String() != `{"id":"x7","result":{"decision":"denied"}}`+"\n" {
		t.Fatalf("legacy answer %q", w.String())
	}
	w.Reset()
	evs = decodeAll(t, c, [][]byte{[]byte(`{"id":5,"method":"item/tool/requestUserInput","params":{}}`)})
	if evs[0].Kind != event.AgentOther || !strings.Contains(w.String(), `"code":-32601`) || !strings.HasPrefix(w.String(), `{"error"`) && !strings.Contains(w.String(), `"id":5`) {
		t.Fatalf("unsupported request: %v wrote %q", evs, w.String())
	}
	for _, line := range []string{
		`{"method":"some/new/notification","params":{"x":1}}`,
		`{"method":"item/started","params":{"item":{"type":"newItemKind","id":"i"}}}`,
		`{"id":99,"result":{}}`,
	} {
		if evs := decodeAll(t, c, [][]byte{[]byte(line)}); evs[0].Kind != event.AgentOther {
			t.Fatalf("%s: %v", line, evs)
		}
	}
	// A failed turn/start ends the turn at once.
	c.rpc.mu.Lock()
	c.rpc.calls["42"] = "turn/start"
	c.rpc.mu.Unlock()
	evs = decodeAll(t, c, [][]byte{[]byte(`{"id":42,"error":{"code":-32600,"message":"bad thread"}}`)})
	if len(evs) != 2 || evs[0].Kind != event.ErrorKind || evs[1].Kind != event.TurnCompleted {
		t.Fatalf("failed turn/start: %v", evs)
	}
}

func TestCodexInterruptWithPendingApprovalFixture(t *testing.T) {
	c := codexPrimed(t, &bytes.Buffer{}, 1)
	evs := decodeAll(t, c, readLines(t, fixture(codexFixtures, "interrupt-approval")))
	req := data[PermissionRequestData](t, kinds(evs, event.PermissionRequest)[0])
	res := kinds(evs, event.PermissionResolved)
	if len(res) != 1 || data[PermissionResolvedData](t, res[0]).RequestID != req.RequestID {
		t.Fatalf("resolved %v", res)
	}
	if d := lastCompleted(t, evs); d.Error == nil || d.Error.Code != CodeInterrupted {
		t.Fatalf("completed %+v", d)
	}
	if err := c.RespondPermission(PermissionAnswer{RequestID: req.RequestID, Allow: true}); !errors.Is(err, ErrNoSuchRequest) {
		t.Fatalf("late answer: %v", err)
	}
}
