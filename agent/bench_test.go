package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/stream"
)

// benchLines is how many lines one benchmark operation decodes: the
// recorded streams of a CLI version, repeated.
const benchLines = 1_000_000

// corpus returns every recorded stdout line of a fixture directory but
// those of the files named in skip.
func corpus(b *testing.B, dir string, skip ...string) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.jsonl"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no fixtures in %s: %v", dir, err)
	}
	var lines [][]byte
	var bytesN int
	for _, f := range files {
		if slices.Contains(skip, filepath.Base(f)) {
			continue
		}
		for _, l := range readLines(b, f) {
			lines = append(lines, l)
			bytesN += len(l)
		}
	}
	b.Logf("%s: %d lines, %d bytes per pass", dir, len(lines), bytesN)
	return lines
}

func benchDecode(b *testing.B, lines [][]byte, newConn func() Conn) {
	var nEvents int
	emit := func(event.Event) { nEvents++ }
	var size int64
	for i := 0; i < benchLines; i++ {
		size += int64(len(lines[i%len(lines)]))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for n := 0; n < b.N; n++ {
		// A fresh Conn per pass of the corpus, as a process would have.
		c := newConn()
		for i := 0; i < benchLines; i++ {
			j := i % len(lines)
			if j == 0 {
				c = newConn()
			}
			c.Decode(Stdout, lines[j], emit)
		}
	}
	b.StopTimer()
	cpu := (processCPU() - cpu0).Seconds()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(benchLines)*float64(b.N)/sec, "lines/s")
	// Other builds share this machine's two cores: lines per CPU-second
	// of this process (GC threads included) is the figure that does not
	// depend on how much of the wall time the benchmark was scheduled.
	if cpu > 0 {
		b.ReportMetric(float64(benchLines)*float64(b.N)/cpu, "lines/cpu-s")
	}
	b.ReportMetric(float64(nEvents)/float64(benchLines*b.N), "events/line")
}

// BenchmarkClaudeDecode decodes Claude Code 2.1.197's recorded streams
// repeated to 1,000,000 lines per operation.
func BenchmarkClaudeDecode(b *testing.B) {
	lines := corpus(b, claudeFixtures)
	benchDecode(b, lines, func() Conn { return Claude{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

// BenchmarkClaudeDecodeDeltas decodes only the text-delta lines, the bulk
// of a long answer.
func BenchmarkClaudeDecodeDeltas(b *testing.B) {
	var lines [][]byte
	for _, l := range corpus(b, claudeFixtures) {
		if bytes.Contains(l, []byte(`"text_delta"`)) {
			lines = append(lines, l)
		}
	}
	benchDecode(b, lines, func() Conn { return Claude{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

// BenchmarkCodexDecode decodes Codex 0.171.0's recorded app-server
// streams repeated to 1,000,000 lines per operation.
func BenchmarkCodexDecode(b *testing.B) {
	lines := corpus(b, codexFixtures)
	benchDecode(b, lines, func() Conn { return Codex{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

// BenchmarkValidJSON and BenchmarkStdJSONValid compare the decoders'
// validating scanner (package stream's) with encoding/json.Valid on the
// same lines.
func BenchmarkValidJSON(b *testing.B)    { benchValid(b, stream.Valid) }
func BenchmarkStdJSONValid(b *testing.B) { benchValid(b, json.Valid) }

func benchValid(b *testing.B, valid func([]byte) bool) {
	lines := corpus(b, claudeFixtures)
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	b.SetBytes(size)
	for n := 0; n < b.N; n++ {
		for _, l := range lines {
			if !valid(l) {
				b.Fatal("invalid")
			}
		}
	}
}

// BenchmarkClaudeDecodeShortTurns leaves out the long reply: one-line
// answers, where once-per-process lines (the 9.5 KB initialize response,
// init, result) dominate.
func BenchmarkClaudeDecodeShortTurns(b *testing.B) {
	lines := corpus(b, claudeFixtures, "long-reply.jsonl")
	benchDecode(b, lines, func() Conn { return Claude{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}

// BenchmarkCodexDecodeShortTurns is the Codex counterpart.
func BenchmarkCodexDecodeShortTurns(b *testing.B) {
	lines := corpus(b, codexFixtures, "long-reply.jsonl")
	benchDecode(b, lines, func() Conn { return Codex{}.NewConn(SessionOptions{}, io.Discard, ConnConfig{}) })
}
