package store

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

// slowToolCallText is what toolCallText gave for Data before scanToolCall:
// json.Unmarshal of the whole object, each string of the input decoded and
// cleaned on its own.
func slowToolCallText(data []byte) string {
	var d struct {
		Name  string                     `json:"name"`
		Input map[string]json.RawMessage `json:"input"`
	}
	if json.Unmarshal(data, &d) != nil {
		return ""
	}
	keys := slices.Sorted(maps.Keys(d.Input))
	var b strings.Builder
	b.WriteString(d.Name)
	for _, k := range keys {
		var s string
		if json.Unmarshal(d.Input[k], &s) != nil || s == "" {
			continue
		}
		b.WriteByte(' ')
		b.WriteString(cleanText(s, maxInputString))
	}
	return b.String()
}

var toolCallSeeds = []string{
	`{"id":"toolu_1","name":"Bash","input":{"command":"go test ./...","description":"Run the tests"}}`,
	`{"name":"Read","input":{"file_path":"/src/a.go","limit":20,"offset":null,"flags":["x"],"o":{"k":"v"}}}`,
	`{"name":"Edit","input":{"b":"x","a":"y","b":"z"}}`,
	`{"name":"E\u0064it","input":{"path":"a\"b\\c\n"}}`,
	`{"Name":"Upper","input":{}}`,
	`{"name":"x","INPUT":{"a":"b"}}`,
	`{"name":null,"input":null}`,
	`{"name":"x","input":[1,2]}`,
	`{"name":"x","input":"s"}`,
	`{"name":7}`,
	`{"n\u0061me":"escaped key"}`,
	`{"name":"x","input":{"k\u0031":"v"}}`,
	` { "name" : "sp" , "input" : { "a" : "b" , "c" : "" } } `,
	`{"name":"x","input":{"a":"b"},"name":"y"}`,
	`[]`, `null`, `"s"`, `{`, `{"name":"x","input":{"a":"b"}`, ``,
}

// TestScanToolCallIsUnmarshal: the scanned text of a tool call's Data is
// the text json.Unmarshal gives, for plain and unusual objects.
func TestScanToolCallIsUnmarshal(t *testing.T) {
	for _, s := range toolCallSeeds {
		ev := event.Event{Kind: event.ToolCall, Data: json.RawMessage(s)}
		if got, want := toolCallText(&ev), slowToolCallText([]byte(s)); got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
}

func FuzzScanToolCall(f *testing.F) {
	for _, s := range toolCallSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := event.Event{Kind: event.ToolCall, Data: data}
		if got, want := toolCallText(&ev), slowToolCallText(data); got != want {
			t.Errorf("%q: %q, want %q", data, got, want)
		}
	})
}

// TestSearchTextWithoutTextDoesNotAllocate: working out the search text of
// an event whose Data holds none (a streamed piece whose text is only in
// Raw, a tool result with only its size) allocates nothing: under an
// append flood that was an allocation for nearly every event.
func TestSearchTextWithoutTextDoesNotAllocate(t *testing.T) {
	for _, ev := range []event.Event{
		{SessionID: "a", Kind: event.AssistantText, Data: json.RawMessage(`{"delta":true,"index":0,"len":42}`)},
		{SessionID: "a", Kind: event.ToolResult, Data: json.RawMessage(`{"toolUseId":"toolu_1","isError":false,"bytes":120}`)},
	} {
		if n := testing.AllocsPerRun(100, func() { preIndex(&ev) }); n != 0 {
			t.Errorf("%s: %v allocations per event, want 0", ev.Kind, n)
		}
	}
}

// TestToolCallTextAllocatesOnce: working out the search text of a plain
// tool call (one appended event in ten in a flood) allocates the name and
// the text only, not a string per key and value of its input or a slice
// of its members.
func TestToolCallTextAllocatesOnce(t *testing.T) {
	ev := event.Event{SessionID: "a", Kind: event.ToolCall,
		Data: json.RawMessage(`{"id":"toolu_00000007","name":"Bash","input":{"command":"go test ./store -run TestX","description":"Run the tests","timeout":120000}}`)}
	if n := testing.AllocsPerRun(100, func() { preIndex(&ev) }); n > 2 {
		t.Errorf("%v allocations per tool call, want at most 2", n)
	}
}

// slowHasQuoted is hasQuoted by its definition: key appears with a double
// quote on either side.
func slowHasQuoted(data []byte, key string) bool {
	return bytes.Contains(data, []byte(`"`+key+`"`))
}

func FuzzHasQuoted(f *testing.F) {
	for _, s := range []string{`{"text":"a"}`, `{"delta":true,"len":4}`, `"text`, `text"`, `""text""`, `"tex"text"`, `"`, ``} {
		f.Add([]byte(s), "text")
	}
	f.Add([]byte(`{"output":"x"}`), "output")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		if key == "" {
			return
		}
		if got, want := hasQuoted(data, key), slowHasQuoted(data, key); got != want {
			t.Errorf("hasQuoted(%q, %q) = %v, want %v", data, key, got, want)
		}
	})
}
