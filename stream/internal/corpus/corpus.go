// Package corpus generates JSONL shaped like Claude Code stream-json output
// (`claude -p --output-format stream-json --verbose --include-partial-messages`)
// for benchmarks: stream_event deltas, assistant text and tool_use
// messages, user tool_result messages, result lines and the occasional
// system line. The field names and nesting follow the transcripts captured
// in the project's agent research; the text is random words with the
// escapes real output has (\n, \", \t, \u sequences) and some raw UTF-8.
//
// Output is deterministic for a given seed, so a Go benchmark and the Node
// baseline can read the same bytes.
package corpus

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
)

// Generator produces corpus lines. It is not safe for concurrent use.
type Generator struct {
	rng       *rand.Rand
	session   string
	msgID     string
	toolUseID string
	turn      int
}

// New returns a Generator seeded with seed.
func New(seed uint64) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(seed, 0x636f7272616c))}
	g.session = g.uuid()
	g.msgID = g.id("msg_01", 22)
	g.toolUseID = g.id("toolu_01", 22)
	return g
}

// Generate writes n lines, each ended by '\n', to w and returns the number
// of bytes written.
func Generate(w io.Writer, n int, seed uint64) (int64, error) {
	g := New(seed)
	bw := bufio.NewWriterSize(w, 1<<20)
	var line []byte
	var total int64
	for range n {
		line = g.Append(line[:0])
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return total, err
		}
		total += int64(len(line))
	}
	return total, bw.Flush()
}

// Append appends one line (without '\n') to dst. The mix, by count: about
// 55% stream_event deltas, 10% other stream_event lines, 15% assistant,
// 15% user tool results, 4% result, 1% system; lines average about 550
// bytes.
func (g *Generator) Append(dst []byte) []byte {
	switch r := g.rng.IntN(100); {
	case r < 55:
		return g.delta(dst)
	case r < 65:
		return g.blockEvent(dst)
	case r < 72:
		return g.assistantText(dst)
	case r < 80:
		return g.assistantToolUse(dst)
	case r < 95:
		return g.toolResult(dst)
	case r < 99:
		return g.result(dst)
	default:
		return g.system(dst)
	}
}

var words = []string{
	"the", "file", "function", "returns", "error", "test", "package", "import", "value", "line",
	"stream", "process", "session", "config", "update", "check", "build", "run", "output", "input",
	"buffer", "read", "write", "close", "handle", "request", "response", "status", "result", "parse",
	"I'll", "let's", "now", "first", "then", "fixed", "failing", "passes", "README.md", "main.go",
	"`go test ./...`", "café", "naïve", "→", "✓", "日本語", "😀", "{", "}", "(x)", "a/b/c",
}

// text appends JSON string content (without quotes) of about n bytes.
func (g *Generator) text(dst []byte, n int) []byte {
	start := len(dst)
	for len(dst)-start < n {
		if len(dst) > start {
			switch g.rng.IntN(40) {
			case 0:
				dst = append(dst, `\n`...)
			case 1:
				dst = append(dst, `\"`...)
			case 2:
				dst = append(dst, `\t`...)
			case 3:
				dst = append(dst, `\u00e9`...)
			case 4:
				dst = append(dst, `. `...)
			default:
				dst = append(dst, ' ')
			}
		}
		dst = append(dst, words[g.rng.IntN(len(words))]...)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

func (g *Generator) uuid() string {
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hexDigits[g.rng.IntN(16)]
		}
	}
	return string(b)
}

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *Generator) id(prefix string, n int) string {
	b := []byte(prefix)
	for range n {
		b = append(b, idChars[g.rng.IntN(len(idChars))])
	}
	return string(b)
}

func (g *Generator) tail(dst []byte, parent bool) []byte {
	dst = append(dst, `,"session_id":"`...)
	dst = append(dst, g.session...)
	if parent {
		dst = append(dst, `","parent_tool_use_id":"`...)
		dst = append(dst, g.toolUseID...)
		dst = append(dst, '"')
	} else {
		dst = append(dst, `","parent_tool_use_id":null`...)
	}
	dst = append(dst, `,"uuid":"`...)
	dst = append(dst, g.uuid()...)
	return append(dst, `"}`...)
}

func (g *Generator) delta(dst []byte) []byte {
	dst = append(dst, `{"type":"stream_event","event":{"type":"content_block_delta","index":`...)
	dst = strconv.AppendInt(dst, int64(g.rng.IntN(3)), 10)
	if g.rng.IntN(5) == 0 {
		dst = append(dst, `,"delta":{"type":"input_json_delta","partial_json":"`...)
		dst = append(dst, `{\"command\": \"`...)
		dst = g.text(dst, 20+g.rng.IntN(120))
		dst = append(dst, `\"`...)
	} else {
		dst = append(dst, `,"delta":{"type":"text_delta","text":"`...)
		dst = g.text(dst, 40+g.rng.IntN(370))
	}
	dst = append(dst, `"}}`...)
	return g.tail(dst, g.rng.IntN(10) == 0)
}

func (g *Generator) blockEvent(dst []byte) []byte {
	dst = append(dst, `{"type":"stream_event","event":`...)
	switch g.rng.IntN(4) {
	case 0:
		dst = append(dst, `{"type":"message_start","message":{"model":"claude-opus-4-8","id":"`...)
		dst = append(dst, g.msgID...)
		dst = append(dst, `","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
		dst = strconv.AppendInt(dst, int64(g.rng.IntN(20000)), 10)
		dst = append(dst, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":`...)
		dst = strconv.AppendInt(dst, int64(g.rng.IntN(90000)), 10)
		dst = append(dst, `,"output_tokens":1,"service_tier":"standard"}},"ttft_ms":`...)
		dst = strconv.AppendInt(dst, int64(200+g.rng.IntN(3000)), 10)
		dst = append(dst, '}')
	case 1:
		dst = append(dst, `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`...)
	case 2:
		dst = append(dst, `{"type":"content_block_stop","index":0}`...)
	default:
		dst = append(dst, `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":4,"cache_creation_input_tokens":1024,"cache_read_input_tokens":20312,"output_tokens":`...)
		dst = strconv.AppendInt(dst, int64(g.rng.IntN(4000)), 10)
		dst = append(dst, `},"context_management":{"applied_edits":[]}}`...)
	}
	return g.tail(dst, false)
}

func (g *Generator) usage(dst []byte) []byte {
	dst = append(dst, `"usage":{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(g.rng.IntN(50)), 10)
	dst = append(dst, `,"cache_creation_input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(g.rng.IntN(5000)), 10)
	dst = append(dst, `,"cache_read_input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(g.rng.IntN(100000)), 10)
	dst = append(dst, `,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(g.rng.IntN(2000)), 10)
	return append(dst, `,"service_tier":"standard"}`...)
}

func (g *Generator) assistantHead(dst []byte) []byte {
	if g.rng.IntN(3) == 0 {
		g.msgID = g.id("msg_01", 22)
	}
	dst = append(dst, `{"type":"assistant","message":{"id":"`...)
	dst = append(dst, g.msgID...)
	return append(dst, `","type":"message","role":"assistant","model":"claude-opus-4-8","content":[`...)
}

func (g *Generator) assistantTail(dst []byte) []byte {
	dst = append(dst, `],"stop_reason":null,"stop_sequence":null,`...)
	dst = g.usage(dst)
	dst = append(dst, `,"context_management":null}`...)
	dst = g.tail(dst, g.rng.IntN(10) == 0)
	// Claude adds the API request id to assistant lines.
	dst = dst[:len(dst)-1]
	dst = append(dst, `,"request_id":"`...)
	dst = append(dst, g.id("req_011", 17)...)
	return append(dst, `"}`...)
}

func (g *Generator) assistantText(dst []byte) []byte {
	dst = g.assistantHead(dst)
	dst = append(dst, `{"type":"text","text":"`...)
	dst = g.text(dst, 30+g.rng.IntN(500))
	dst = append(dst, `"}`...)
	return g.assistantTail(dst)
}

var tools = []string{"Bash", "Read", "Edit", "Grep", "Glob", "Write"}

func (g *Generator) assistantToolUse(dst []byte) []byte {
	g.toolUseID = g.id("toolu_01", 22)
	dst = g.assistantHead(dst)
	dst = append(dst, `{"type":"tool_use","id":"`...)
	dst = append(dst, g.toolUseID...)
	dst = append(dst, `","name":"`...)
	dst = append(dst, tools[g.rng.IntN(len(tools))]...)
	dst = append(dst, `","input":{"command":"`...)
	dst = g.text(dst, 10+g.rng.IntN(80))
	dst = append(dst, `","description":"`...)
	dst = g.text(dst, 10+g.rng.IntN(40))
	dst = append(dst, `"}}`...)
	return g.assistantTail(dst)
}

func (g *Generator) toolResult(dst []byte) []byte {
	dst = append(dst, `{"type":"user","message":{"role":"user","content":[{"tool_use_id":"`...)
	dst = append(dst, g.toolUseID...)
	dst = append(dst, `","type":"tool_result","content":"`...)
	start := len(dst)
	dst = g.text(dst, 20+g.rng.IntN(300))
	out := string(dst[start:])
	isErr := g.rng.IntN(10) == 0
	dst = append(dst, `","is_error":`...)
	dst = strconv.AppendBool(dst, isErr)
	dst = append(dst, `}]}`...)
	dst = g.tail(dst, false)
	dst = dst[:len(dst)-1]
	dst = append(dst, `,"timestamp":"2026-11-26T13:`...)
	dst = strconv.AppendInt(dst, int64(10+g.rng.IntN(50)), 10)
	dst = append(dst, `:`...)
	dst = strconv.AppendInt(dst, int64(10+g.rng.IntN(50)), 10)
	dst = append(dst, `.123Z","tool_use_result":{"stdout":"`...)
	dst = append(dst, out...)
	return append(dst, `","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false}}`...)
}

func (g *Generator) result(dst []byte) []byte {
	g.turn++
	dst = append(dst, `{"type":"result","subtype":"success","is_error":false,"api_error_status":null,"duration_ms":`...)
	dst = strconv.AppendInt(dst, int64(1000+g.rng.IntN(90000)), 10)
	dst = append(dst, `,"duration_api_ms":`...)
	dst = strconv.AppendInt(dst, int64(800+g.rng.IntN(80000)), 10)
	dst = append(dst, `,"num_turns":`...)
	dst = strconv.AppendInt(dst, int64(1+g.rng.IntN(20)), 10)
	dst = append(dst, `,"result":"`...)
	dst = g.text(dst, 20+g.rng.IntN(200))
	dst = append(dst, `","stop_reason":"end_turn","session_id":"`...)
	dst = append(dst, g.session...)
	dst = append(dst, `","total_cost_usd":0.`...)
	dst = strconv.AppendInt(dst, int64(10000+g.rng.IntN(89999)), 10)
	dst = append(dst, `,`...)
	dst = g.usage(dst)
	dst = append(dst, `,"modelUsage":{"claude-opus-4-8":{"inputTokens":12,"outputTokens":340,"cacheReadInputTokens":80211,"cacheCreationInputTokens":2048,"webSearchRequests":0,"costUSD":0.0877,"contextWindow":1000000,"maxOutputTokens":64000}},"permission_denials":[],"terminal_reason":"completed","uuid":"`...)
	dst = append(dst, g.uuid()...)
	return append(dst, `"}`...)
}

func (g *Generator) system(dst []byte) []byte {
	if g.rng.IntN(2) == 0 {
		dst = append(dst, `{"type":"system","subtype":"status","status":"requesting","session_id":"`...)
		dst = append(dst, g.session...)
		dst = append(dst, `","uuid":"`...)
		dst = append(dst, g.uuid()...)
		return append(dst, `"}`...)
	}
	dst = append(dst, `{"type":"system","subtype":"init","cwd":"/home/user/src/project","session_id":"`...)
	dst = append(dst, g.session...)
	dst = append(dst, `","tools":["Task","Bash","Glob","Grep","LS","Read","Edit","MultiEdit","Write","NotebookEdit","WebFetch","TodoWrite","WebSearch"],"mcp_servers":[],"model":"claude-opus-4-8[1m]","permissionMode":"default","slash_commands":["compact","context","cost","init","review"],"apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.197","output_style":"default","agents":["general-purpose"],"skills":[],"plugins":[],"uuid":"`...)
	dst = append(dst, g.uuid()...)
	return append(dst, `"}`...)
}
