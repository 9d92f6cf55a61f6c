package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/event"
)

// fuzzDecoder checks, for any line, that a decoder does not panic, emits
// at least one event, keeps Raw valid JSON (equal to the line on the
// first event when the line is valid) and Data valid JSON.
func fuzzDecoder(f *testing.F, dir string, newConn func() Conn) {
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.jsonl"))
	for _, file := range files {
		for _, l := range readLines(f, file) {
			if len(l) < 4096 {
				f.Add(l)
			}
		}
	}
	f.Add([]byte(`{"type":"result","usage":{"input_tokens":-1e400}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		c := newConn()
		var evs []event.Event
		c.Decode(Stdout, line, func(e event.Event) { evs = append(evs, e) })
		if len(evs) == 0 {
			t.Fatal("no event")
		}
		for _, e := range evs {
			if e.Raw != nil && !json.Valid(e.Raw) {
				t.Fatalf("invalid Raw for %q", line)
			}
			if e.Data != nil && !json.Valid(e.Data) {
				t.Fatalf("invalid Data %q for %q", e.Data, line)
			}
		}
		if json.Valid(line) && bytes.HasPrefix(bytes.TrimSpace(line), []byte("{")) && !bytes.Equal(evs[0].Raw, line) {
			t.Fatalf("first event lacks the line as Raw: %q", line)
		}
	})
}

func FuzzClaudeDecode(f *testing.F) {
	fuzzDecoder(f, claudeFixtures, func() Conn { return Claude{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

func FuzzCodexDecode(f *testing.F) {
	fuzzDecoder(f, codexFixtures, func() Conn { return Codex{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

func FuzzGeminiDecode(f *testing.F) {
	fuzzDecoder(f, geminiFixtures, func() Conn { return Gemini{}.NewConn(SessionOptions{}, nil, ConnConfig{}) })
}

func FuzzACPDecode(f *testing.F) {
	fuzzDecoder(f, geminiFixtures, func() Conn { return ACP{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}
