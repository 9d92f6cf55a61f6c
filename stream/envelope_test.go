package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Lines in the shapes the agent CLIs print (see the research transcripts),
// trimmed to the fields that matter plus some bulk to skip.
func TestDecodeEnvelopeAgents(t *testing.T) {
	tests := []struct {
		line string
		want Envelope
	}{
		{`{"type":"system","subtype":"init","cwd":"/tmp/w","session_id":"s-1","tools":["Bash","Read"],"mcp_servers":[],"model":"claude-opus-4-8[1m]","permissionMode":"default","uuid":"u-1"}`,
			Envelope{Type: "system", Subtype: "init", SessionID: "s-1", UUID: "u-1"}},
		{`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}},"session_id":"s-1","parent_tool_use_id":null,"uuid":"u-2"}`,
			Envelope{Type: "stream_event", EventType: "content_block_delta", SessionID: "s-1", UUID: "u-2"}},
		{`{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls -la"}}],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":12}},"parent_tool_use_id":"toolu_0","session_id":"s-1","uuid":"u-3","request_id":"req_9"}`,
			Envelope{Type: "assistant", ParentToolUseID: "toolu_0", SessionID: "s-1", UUID: "u-3", RequestID: "req_9"}},
		{`{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":"a\nb","is_error":false}]},"parent_tool_use_id":null,"session_id":"s-1","uuid":"u-4","tool_use_result":{"stdout":"a\nb","stderr":"","interrupted":false}}`,
			Envelope{Type: "user", SessionID: "s-1", UUID: "u-4"}},
		{`{"type":"result","subtype":"success","is_error":false,"duration_ms":1234,"num_turns":1,"result":"done","session_id":"s-1","total_cost_usd":0.0123,"usage":{"input_tokens":10},"permission_denials":[],"uuid":"u-5"}`,
			Envelope{Type: "result", Subtype: "success", SessionID: "s-1", UUID: "u-5", HasResult: true}},
		{`{"type":"control_request","request_id":"r-7","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{"command":"touch x"},"permission_suggestions":[{"type":"addRules","rules":[]}]}}`,
			Envelope{Type: "control_request", RequestID: "r-7", RequestSubtype: "can_use_tool"}},
		{`{"type":"control_response","response":{"subtype":"success","request_id":"init1","response":{"commands":[]}}}`,
			Envelope{Type: "control_response", ResponseSubtype: "success", ResponseRequestID: "init1"}},
		{`{"type":"thread.started","thread_id":"th-1"}`, Envelope{Type: "thread.started", ThreadID: "th-1"}},
		{`{"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"/bin/bash -lc 'echo hello'","aggregated_output":"hello\n","exit_code":0,"status":"completed"}}`,
			Envelope{Type: "item.completed", ItemType: "command_execution", ItemID: "item_3"}},
		{`{"type":"turn.failed","error":{"message":"exceeded retry limit"}}`, Envelope{Type: "turn.failed", HasError: true}},
		{`{"type":"message","timestamp":"2026-01-01T00:00:00Z","role":"assistant","content":"Hi","delta":true}`,
			Envelope{Type: "message", Role: "assistant"}},
		{`{"type":"init","timestamp":"2026-01-01T00:00:00Z","session_id":"g-1","model":"auto"}`, Envelope{Type: "init", SessionID: "g-1"}},
		{`{"jsonrpc":"2.0","id":3,"method":"session/prompt","params":{"sessionId":"x","prompt":[{"type":"text","text":"hi"}]}}`,
			Envelope{JSONRPC: "2.0", ID: []byte(`3`), Method: "session/prompt"}},
		{`{"jsonrpc":"2.0","id":"abc","result":{"stopReason":"end_turn"}}`, Envelope{JSONRPC: "2.0", ID: []byte(`"abc"`), HasResult: true}},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error"}}`, Envelope{JSONRPC: "2.0", ID: []byte(`null`), HasError: true}},
		{`{"id":0,"method":"item/commandExecution/requestApproval","params":{"itemId":"call_1"}}`,
			Envelope{ID: []byte(`0`), Method: "item/commandExecution/requestApproval"}},
		// Unescaping, unicode, and encoding/json's treatment of invalid UTF-8.
		{`{"type":"a\"b\\c\u00e9\ud83d\ude00","subtype":"caf` + "\xc3\xa9" + `","uuid":"x` + "\xff" + `y"}`,
			Envelope{Type: "a\"b\\c\u00e9\U0001F600", Subtype: "café", UUID: "x\uFFFDy"}},
		{`{"typ\u0065":"escaped key"}`, Envelope{Type: "escaped key"}},
		{`{"TYPE":"keys are case-sensitive"}`, Envelope{}},
		{`{"type":"first","type":"last"}`, Envelope{Type: "last"}},
		{`{"type":"first","type":7}`, Envelope{}},
		{`{"event":{"type":"a"},"event":{"index":1}}`, Envelope{}},
		{`{"event":"not an object","item":[{"type":"x"}],"request":null}`, Envelope{}},
		{`{"message":{"type":"nested deeper is ignored","event":{"type":"no"}}}`, Envelope{}},
		{" \t{ \"type\" : \"spaced\" , \"n\" : [ 1 , -2.5e+3 , true , false , null , { } , [ ] ] } \r\n", Envelope{Type: "spaced"}},
		{`{}`, Envelope{}},
	}
	for _, tc := range tests {
		got, err := DecodeEnvelope([]byte(tc.line))
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		if string(got.Raw) != tc.line {
			t.Errorf("%s: Raw = %q", tc.line, got.Raw)
		}
		got.Raw = nil
		if !envEqual(got, tc.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tc.line, got, tc.want)
		}
		checkEnvelopeAgainstJSON(t, []byte(tc.line))
	}
}

func envEqual(a, b Envelope) bool {
	if !bytes.Equal(a.ID, b.ID) || (a.ID == nil) != (b.ID == nil) {
		return false
	}
	a.ID, b.ID, a.Raw, b.Raw = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// Bad-input lines: every one is an error, never a panic, and the error
// carries an offset within the line.
var badLines = []string{
	"", " ", "plain text output", "null", "42", `"a string"`, `[1,2]`, "true",
	`{`, `{"type"`, `{"type":`, `{"type":"assistant"`, `{"type":"assistant",`,
	`{"type":"assistant","message":{"content":[{"text":"cut here`,
	`{"type":"assistant"}}`, `{"type":"assistant"} {}`, `{"type":"assistant"}x`,
	`{type:"x"}`, `{'type':'x'}`, `{"a":1,}`, `{,}`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`,
	`{"a":-}`, `{"a":1e}`, `{"a":.5}`, `{"a":+1}`, `{"a":tru}`, `{"a":nul}`, `{"a":True}`,
	`{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b"}}`, `{"a":"\x"}`, `{"a":"\u12G4"}`, `{"a":"\u12"}`,
	"{\"a\":\"tab\tinside\"}", "{\"a\":\"nul\x00inside\"}", "\ufeff{}", `{"a":NaN}`, `{"a":Infinity}`,
	"{\"a\":1}\x00", `{"a":"x"]`, `{"a":[}`, `{"a":]`,
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestDecodeEnvelopeBadLines(t *testing.T) {
	for _, l := range badLines {
		_, err := DecodeEnvelope([]byte(l))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%.60q: err = %v, want *SyntaxError", l, err)
			continue
		}
		if se.Offset < 0 || se.Offset > len(l) {
			t.Errorf("%.60q: offset %d outside the line", l, se.Offset)
		}
		checkEnvelopeAgainstJSON(t, []byte(l))
	}
}

// Errors are per line: a bad line between good ones changes nothing.
func TestDecodeEnvelopeNotSticky(t *testing.T) {
	lines := []string{`{"type":"a"}`, `{"type":`, "garbage", `{"type":"b"}`}
	var types []string
	errs := 0
	for _, l := range lines {
		env, err := DecodeEnvelope([]byte(l))
		if err != nil {
			errs++
			continue
		}
		types = append(types, env.Type)
	}
	if errs != 2 || strings.Join(types, ",") != "a,b" {
		t.Fatalf("errs=%d types=%v", errs, types)
	}
}

func TestDecodeEnvelopeDepth(t *testing.T) {
	deep := func(n int) []byte {
		// n nested levels in total, the top-level object included.
		return []byte(`{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}")
	}
	if _, err := DecodeEnvelope(deep(maxDepth)); err != nil {
		t.Fatalf("depth %d: %v", maxDepth, err)
	}
	if _, err := DecodeEnvelope(deep(maxDepth + 1)); err == nil {
		t.Fatalf("depth %d accepted", maxDepth+1)
	}
	for _, n := range []int{maxDepth, maxDepth + 1} {
		checkEnvelopeAgainstJSON(t, deep(n))
	}
}

func TestDecodeEnvelopeAllocs(t *testing.T) {
	line := []byte(`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello, world"}},"session_id":"s","parent_tool_use_id":null,"uuid":"u"}`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := DecodeEnvelope(line); err != nil {
			t.Fatal(err)
		}
	})
	// Repeated values (type, event.type, session_id) are interned; the uuid
	// is unique to the line.
	if allocs > 1 {
		t.Fatalf("%v allocations per line", allocs)
	}
}

// checkEnvelopeAgainstJSON compares DecodeEnvelope with encoding/json:
// valid JSON objects decode, with every routing field equal to what
// encoding/json reads (last duplicate key wins, non-string values read as
// ""); anything else is an error.
func checkEnvelopeAgainstJSON(t testing.TB, line []byte) {
	t.Helper()
	env, err := DecodeEnvelope(line)
	trimmed := bytes.TrimLeft(line, " \t\r\n")
	isObject := json.Valid(line) && len(trimmed) > 0 && trimmed[0] == '{'
	if !isObject {
		if err == nil {
			t.Fatalf("%.80q: accepted, but it is not a valid JSON object", line)
		}
		return
	}
	if err != nil {
		t.Fatalf("%.80q: valid JSON object rejected: %v", line, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	str := func(m map[string]json.RawMessage, k string) string {
		var s string
		if v, ok := m[k]; ok && len(v) > 0 && v[0] == '"' {
			if err := json.Unmarshal(v, &s); err != nil {
				t.Fatalf("encoding/json string: %v", err)
			}
		}
		return s
	}
	obj := func(k string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if v, ok := top[k]; ok && len(v) > 0 && v[0] == '{' {
			if err := json.Unmarshal(v, &m); err != nil {
				t.Fatalf("encoding/json object: %v", err)
			}
		}
		return m
	}
	want := Envelope{
		Type: str(top, "type"), Subtype: str(top, "subtype"), SessionID: str(top, "session_id"),
		UUID: str(top, "uuid"), ParentToolUseID: str(top, "parent_tool_use_id"),
		RequestID: str(top, "request_id"), ThreadID: str(top, "thread_id"), Role: str(top, "role"),
		JSONRPC: str(top, "jsonrpc"), Method: str(top, "method"),
		EventType: str(obj("event"), "type"), ItemType: str(obj("item"), "type"), ItemID: str(obj("item"), "id"),
		RequestSubtype: str(obj("request"), "subtype"), ResponseSubtype: str(obj("response"), "subtype"),
		ResponseRequestID: str(obj("response"), "request_id"),
	}
	if id, ok := top["id"]; ok {
		want.ID = id
	}
	_, want.HasResult = top["result"]
	_, want.HasError = top["error"]
	if !envEqual(env, want) {
		t.Fatalf("%.200q:\n got  %+v\n want %+v", line, env, want)
	}
	if !bytes.Equal(env.Raw, line) {
		t.Fatalf("Raw is not the line")
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, l := range badLines {
		if len(l) < 1000 {
			f.Add([]byte(l))
		}
	}
	for _, l := range []string{
		`{"type":"system","subtype":"init","session_id":"s","uuid":"u"}`,
		`{"type":"stream_event","event":{"type":"message_start"},"parent_tool_use_id":null}`,
		`{"type":"item.started","item":{"id":"i","type":"agent_message","text":"x"}}`,
		`{"type":"control_request","request_id":"r","request":{"subtype":"interrupt"}}`,
		`{"jsonrpc":"2.0","id":1.5e3,"method":"m","params":[]}`,
		`{"type":"a\u0000b\n","x":"\ud800"}`,
		"{\"type\":\"\xff\xfe\"}",
		`{"typ\u0065":1,"type":"x"}`,
	} {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		checkEnvelopeAgainstJSON(t, line)
	})
}

// Decoders share the intern table; concurrent use must neither race nor
// mix up values.
func TestDecodeEnvelopeConcurrent(t *testing.T) {
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := range 2000 {
				typ := "type-" + strconv.Itoa((g*7+i)%50)
				sid := "session-" + strconv.Itoa(i%3)
				line := `{"type":"` + typ + `","session_id":"` + sid + `","uuid":"u` + strconv.Itoa(i) + `"}`
				env, e := DecodeEnvelope([]byte(line))
				if e != nil || env.Type != typ || env.SessionID != sid || env.UUID != "u"+strconv.Itoa(i) {
					err = fmt.Errorf("%s decoded as %+v, %v", line, env, e)
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
