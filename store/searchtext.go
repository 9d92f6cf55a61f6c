package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	jsonline "github.com/corral-dev/corral/stream"
)

// Bounds of what the search index takes from one event or message.
const (
	// maxDocText caps the text of one index document (a tool's output, a
	// long prompt, a streamed message); the rest is not searchable.
	maxDocText = 8 << 10
	// maxInputString caps each string of a tool call's input: the index
	// keeps a summary of the call (command, path, pattern), not the
	// contents an edit writes.
	maxInputString = 256
)

// Highlight markers around a matched term in a SearchHit's Snippet. They
// are control characters no indexed text contains (searchText removes
// them), so a client splits on them without any escaping.
const (
	HighlightStart = "\x02"
	HighlightEnd   = "\x03"
)

// indexAction says what the search index does with one event.
type indexAction uint8

const (
	ixNone  indexAction = iota // nothing to index; a pending message goes on
	ixDoc                      // text of its own; ends a pending message first
	ixDelta                    // a piece of a streamed assistant message
	ixWhole                    // a whole assistant message: replaces its pending pieces
	ixEnd                      // no text, but ends a pending message (run or turn end)
)

// searchText returns the text of ev a user would search for, and what the
// index does with it. It is a pure function of Kind and Payload (or, for
// an event without Payload, Data):
//
//   - run.started: the user's prompt;
//   - assistant.text: the text, as a piece (delta) or a whole message;
//   - tool.call: the tool's name and the strings of its input, each cut
//     to maxInputString bytes;
//   - tool.result: the output;
//   - error, and turn.completed with an error: the message;
//   - run.exited and turn.completed without error: nothing, but they end
//     a streamed message.
//
// Everything else (thinking, usage, raw stdout and stderr lines, the
// agent's own protocol chatter) is not indexed. The text is valid UTF-8,
// cut to maxDocText bytes, with the highlight markers removed.
func searchText(ev *event.Event) (string, indexAction) {
	var text string
	act := ixDoc
	switch ev.Kind {
	case event.RunStarted:
		var d struct {
			Prompt string `json:"prompt"`
		}
		if !decodeData(ev.Data, "prompt", &d) {
			return "", ixEnd
		}
		text = d.Prompt
	case event.AssistantText:
		d, ok := textPayload(ev)
		if !ok {
			return "", ixNone
		}
		text, act = d.Text, ixWhole
		if d.Delta {
			act = ixDelta
		}
	case event.ToolCall:
		text = toolCallText(ev)
	case event.ToolResult:
		text = toolResultText(ev)
	case event.ErrorKind:
		var d struct {
			Message string `json:"message"`
		}
		if p, ok := ev.Payload.(agent.ErrorData); ok {
			d.Message = p.Message
		} else if !decodeData(ev.Data, "message", &d) {
			return "", ixNone
		}
		text = d.Message
	case event.TurnCompleted:
		var d agent.TurnCompletedData
		if p, ok := ev.Payload.(agent.TurnCompletedData); ok {
			d = p
		} else if !decodeData(ev.Data, "error", &d) {
			return "", ixEnd
		}
		if d.Error == nil || d.Error.Message == "" {
			return "", ixEnd
		}
		text = d.Error.Message
	case event.RunExited:
		return "", ixEnd
	default:
		return "", ixNone
	}
	text = cleanText(text, maxDocText)
	if text == "" && act != ixDelta {
		if act == ixDoc {
			return "", ixEnd
		}
		return "", ixNone
	}
	return text, act
}

// searchPre is searchText's answer for one event, worked out before the
// event reaches the writer; ok is false when it was not (the writer then
// works it out itself).
type searchPre struct {
	text string
	act  indexAction
	ok   bool
}

// preIndex works out ev's search text for the writer. Events of the
// system stream, which is not indexed, are skipped.
func preIndex(ev *event.Event) searchPre {
	if ev.SessionID == "" {
		return searchPre{}
	}
	text, act := searchText(ev)
	return searchPre{text: text, act: act, ok: true}
}

// decodeData decodes data into v when it holds key; false when it does not
// or does not decode (the event then has no text to index).
func decodeData(data []byte, key string, v any) bool {
	if !hasQuoted(data, key) {
		return false
	}
	return json.Unmarshal(data, v) == nil
}

// hasQuoted reports whether data holds key between double quotes,
// without allocating.
func hasQuoted(data []byte, key string) bool {
	for off := 1; off+len(key) < len(data); {
		i := bytes.Index(data[off:len(data)-1], []byte(key))
		if i < 0 {
			return false
		}
		i += off
		if data[i-1] == '"' && data[i+len(key)] == '"' {
			return true
		}
		off = i + 1
	}
	return false
}

func textPayload(ev *event.Event) (agent.TextData, bool) {
	switch p := ev.Payload.(type) {
	case agent.TextData:
		return p, true
	case *agent.TextData:
		return *p, p != nil
	}
	if !hasQuoted(ev.Data, "text") {
		// (checked before d exists: decoding into it moves it to the heap,
		// an allocation for every streamed piece otherwise)
		return agent.TextData{}, false
	}
	var d agent.TextData
	return d, decodeData(ev.Data, "text", &d)
}

func toolCallText(ev *event.Event) string {
	switch p := ev.Payload.(type) {
	case agent.ToolCallData:
		return inputToolText(p.Name, p.Input)
	case *agent.ToolCallData:
		return inputToolText(p.Name, p.Input)
	}
	// (json.Valid's answer, in one pass instead of a state machine per
	// byte: a third of the cost of a tool call's text in a flood)
	if !jsonline.Valid(ev.Data) {
		return ""
	}
	var buf [8]rawMember
	if name, input, ok := scanToolCall(ev.Data, buf[:0]); ok {
		return joinToolText(name, input)
	}
	// (in a function of its own: the value decoded into would otherwise
	// be on the heap for every tool call, scanned or not)
	return unmarshalToolText(ev.Data)
}

// inputToolText is the text of a tool call's Payload: its name, and its
// input decoded (an input that does not decode: the name alone).
func inputToolText(name string, input json.RawMessage) string {
	var in map[string]json.RawMessage
	json.Unmarshal(input, &in) // error ignored: no input, the name alone
	return joinToolText(name, inputMembers(in))
}

// unmarshalToolText is the text of a tool call's Data that scanToolCall
// leaves: decoded once, the input's values raw until known strings.
func unmarshalToolText(data []byte) string {
	var d struct {
		Name  string                     `json:"name"`
		Input map[string]json.RawMessage `json:"input"`
	}
	if json.Unmarshal(data, &d) != nil {
		return ""
	}
	return joinToolText(d.Name, inputMembers(d.Input))
}

func inputMembers(in map[string]json.RawMessage) []rawMember {
	out := make([]rawMember, 0, len(in))
	for k, v := range in {
		out = append(out, rawMember{[]byte(k), v})
	}
	return out
}

// joinToolText is a tool call's search text: its name, then the string
// values of its input in the order of their keys, each cut to
// maxInputString bytes. The text is built in one allocation: a string
// without escapes is copied from the JSON as it is, cut only (valid JSON
// has no control character, so no highlight marker, inside a string, and
// plainString checks UTF-8).
func joinToolText(name string, input []rawMember) string {
	slices.SortFunc(input, func(a, b rawMember) int { return bytes.Compare(a.key, b.key) })
	n := len(name)
	for _, m := range input {
		n += 1 + min(len(m.raw), maxInputString)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(name)
	for _, m := range input {
		if p, ok := plainString(m.raw); ok {
			if len(p) > 0 {
				b.WriteByte(' ')
				b.Write(cutUTF8(p, maxInputString))
			}
			continue
		}
		s, ok := jsonString(m.raw)
		if !ok || s == "" {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(cleanText(s, maxInputString))
	}
	return b.String()
}

func toolResultText(ev *event.Event) string {
	switch p := ev.Payload.(type) {
	case agent.ToolResultData:
		return p.Output
	case *agent.ToolResultData:
		return p.Output
	}
	if !hasQuoted(ev.Data, "output") {
		return "" // (checked before d exists, as in textPayload)
	}
	var d struct {
		Output string `json:"output"`
	}
	decodeData(ev.Data, "output", &d)
	return d.Output
}

// plainString returns the bytes inside a JSON string literal that has no
// escape and is valid UTF-8 (what jsonString decodes without copying).
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
		return nil, false
	}
	return raw[1 : len(raw)-1], true
}

// cutUTF8 cuts valid UTF-8 b to at most max bytes at a character
// boundary, as cleanText does.
func cutUTF8(b []byte, max int) []byte {
	if len(b) <= max {
		return b
	}
	i := max
	for i > 0 && !utf8.RuneStart(b[i]) {
		i--
	}
	return b[:i]
}

// cleanText makes s fit the index: valid UTF-8, without the highlight
// markers, at most max bytes (cut at a character boundary).
func cleanText(s string, max int) string {
	if len(s) > max {
		i := max
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.ContainsAny(s, HighlightStart+HighlightEnd) {
		s = strings.Map(func(r rune) rune {
			if r == 2 || r == 3 {
				return ' '
			}
			return r
		}, s)
	}
	return s
}
