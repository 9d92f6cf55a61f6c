package store_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/event"
)

// genEvents makes n events shaped like what the Claude adapter stores for
// `claude -p --output-format stream-json --verbose --include-partial-messages`:
// Raw is a stream-json line as the CLI prints it, Data the small normalized
// object. The mix is mostly text deltas with some tool calls, tool results
// and assistant messages; the average Raw+Data size is about 550 bytes.
func genEvents(session string, n int) []event.Event {
	words := strings.Fields("the quick brown fox jumps over the lazy dog while reading go source files and " +
		"running tests in a temporary directory with careful attention to error handling")
	text := func(i, k int) string {
		var b strings.Builder
		for j := 0; j < k; j++ {
			b.WriteString(words[(i*7+j)%len(words)])
			b.WriteByte(' ')
		}
		return b.String()
	}
	const sid = "9b7d2c1e-4f3a-4d8e-9a61-2f0c5e7b8a13"
	out := make([]event.Event, n)
	for i := range out {
		var raw, data string
		var kind string
		switch i % 10 {
		case 7: // tool call
			kind = event.ToolCall
			cmd := text(i, 12)
			raw = fmt.Sprintf(`{"type":"assistant","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"tool_use","id":"toolu_%08d","name":"Bash","input":{"command":%q,"description":"Run the test suite"}}],"stop_reason":null,"usage":{"input_tokens":4,"cache_creation_input_tokens":1520,"cache_read_input_tokens":14392,"output_tokens":27}},"parent_tool_use_id":null,"session_id":%q}`, i, cmd, sid)
			data = fmt.Sprintf(`{"id":"toolu_%08d","name":"Bash","input":{"command":%q}}`, i, cmd)
		case 8: // tool result
			kind = event.ToolResult
			res := text(i, 30)
			raw = fmt.Sprintf(`{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_%08d","type":"tool_result","content":%q,"is_error":false}]},"parent_tool_use_id":null,"session_id":%q,"uuid":"1f9a6b0e-2c41-4b7e-8d35-%012d"}`, i-1, res, sid, i)
			data = fmt.Sprintf(`{"toolUseId":"toolu_%08d","isError":false,"bytes":%d}`, i-1, len(res))
		default: // streamed text delta
			kind = event.AssistantText
			delta := text(i, 45)
			raw = fmt.Sprintf(`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}},"session_id":%q,"parent_tool_use_id":null,"uuid":"6c1e0d8a-77b2-4f0a-b3c9-%012d"}`, delta, sid, i)
			data = fmt.Sprintf(`{"delta":true,"index":0,"len":%d}`, len(delta))
		}
		out[i] = event.Event{SessionID: session, RunID: "run-1", Kind: kind, Data: json.RawMessage(data), Raw: json.RawMessage(raw)}
	}
	return out
}
