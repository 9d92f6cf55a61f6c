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
// first event when the line is valid) and Data valid JSON. It is seeded
// with the lines (under 4 KiB) of the recorded sessions matching globs
// (under testdata), and fails when they are none. Fuzzing runs with
// minimization bounded (see fuzzMinimizeDefault in main_test.go).
func fuzzDecoder(f *testing.F, globs []string, newConn func() Conn) {
	seeds := 0
	for _, g := range globs {
		files, err := filepath.Glob(filepath.Join("testdata", g))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			for _, l := range readLines(f, file) {
				if len(l) < 4096 {
					f.Add(l)
					seeds++
				}
			}
		}
	}
	if seeds == 0 {
		f.Fatalf("no seed lines in testdata/%v", globs)
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
	fuzzDecoder(f, []string{claudeFixtures + "/*.jsonl"}, func() Conn { return Claude{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

func FuzzCodexDecode(f *testing.F) {
	fuzzDecoder(f, []string{codexFixtures + "/*.jsonl"}, func() Conn { return Codex{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

// FuzzGeminiDecode seeds from the Gemini CLI's stream-json sessions (its
// ACP sessions, acp-*.jsonl, seed FuzzACPDecode).
func FuzzGeminiDecode(f *testing.F) {
	fuzzDecoder(f, []string{geminiFixtures + "/[!a]*.jsonl", geminiFixtures + "/a[!c]*.jsonl"}, func() Conn { return Gemini{}.NewConn(SessionOptions{}, nil, ConnConfig{}) })
}

// FuzzACPDecode seeds from the recorded ACP sessions of every agent that
// speaks it: the ACP adapters (*-acp-*) and the Gemini CLI's --acp mode.
func FuzzACPDecode(f *testing.F) {
	fuzzDecoder(f, []string{"*-acp-*/*.jsonl", geminiFixtures + "/acp-*.jsonl"}, func() Conn { return ACP{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}
