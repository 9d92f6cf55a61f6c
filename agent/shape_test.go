package agent

import (
	"io"
	"testing"

	"github.com/corral-dev/corral/event"
)

// A known message whose values have another shape than the protocol's
// keeps its own event (with the line as Raw, first) and adds an error
// event with code unexpected_shape, instead of passing silently.
func TestUnexpectedShapeIsReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		conn Conn
		line string
		kind string
	}{
		{"claude can_use_tool", Claude{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}),
			`{"type":"control_request","request_id":"r1","request":{"subtype":"can_use_tool","tool_name":7}}`, event.PermissionRequest},
		{"acp message chunk", ACP{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}),
			`{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"agent_message_chunk","content":"not a block"}}}`, event.AssistantText},
		{"codex approval", Codex{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}),
			`{"jsonrpc":"2.0","id":3,"method":"item/commandExecution/requestApproval","params":{"itemId":["x"]}}`, event.PermissionRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var evs []event.Event
			tc.conn.Decode(Stdout, []byte(tc.line), func(e event.Event) { evs = append(evs, e) })
			if len(evs) != 2 || evs[0].Kind != tc.kind || string(evs[0].Raw) != tc.line || evs[1].Kind != event.ErrorKind {
				t.Fatalf("events %v, want %s (with the line) then error", kindsOf(evs), tc.kind)
			}
			if d := data[ErrorData](t, evs[1]); d.Code != "unexpected_shape" || d.Message == "" {
				t.Fatalf("error %+v, want code unexpected_shape with a message", d)
			}
		})
	}
}

func kindsOf(evs []event.Event) []string {
	var k []string
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}
