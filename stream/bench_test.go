package stream_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/corral-dev/corral/stream"
	"github.com/corral-dev/corral/stream/internal/corpus"
	"github.com/corral-dev/corral/stream/streambench"
)

// BenchmarkPipeline runs the whole end-to-end benchmark (corpus generation,
// then rounds of raw / pipeline / node, then the peak-RSS run) and prints
// the side-by-side table. Run it once:
//
//	go test ./stream -run '^$' -bench BenchmarkPipeline -benchtime=1x
//
// CORRAL_BENCH_LINES and CORRAL_BENCH_ROUNDS override the corpus size
// (1,000,000 lines) and the number of rounds (3).
func BenchmarkPipeline(b *testing.B) {
	opt := streambench.Options{
		Lines:  envInt(b, "CORRAL_BENCH_LINES"),
		Rounds: envInt(b, "CORRAL_BENCH_ROUNDS"),
	}
	var res streambench.Result
	for b.Loop() {
		var err error
		if res, err = streambench.RunPipelineBench(os.Stdout, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.Median.Pipeline.LinesPerSec(), "lines/s")
	b.ReportMetric(res.Median.Raw.LinesPerSec(), "raw-lines/s")
	b.ReportMetric(res.Median.Node.LinesPerSec(), "node-lines/s")
	b.ReportMetric(res.VsNode, "x-node")
	b.ReportMetric(res.VsRaw, "x-raw")
	b.ReportMetric(float64(res.PeakRSS)/(1<<20), "peak-RSS-MiB")
}

func envInt(b *testing.B, name string) int {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}

// benchCorpus is an in-memory corpus of the benchmark's shape.
func benchCorpus(b *testing.B) []byte {
	var buf bytes.Buffer
	if _, err := corpus.Generate(&buf, 50_000, 1); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkFramer frames the corpus from memory (no pipe, no decoding).
func BenchmarkFramer(b *testing.B) {
	data := benchCorpus(b)
	b.SetBytes(int64(len(data)))
	lines := 0
	for b.Loop() {
		f := stream.NewFramer(bytes.NewReader(data), stream.Options{})
		for {
			_, err := f.Next()
			if err == io.EOF {
				break
			}
			lines++
		}
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

func corpusLines(b *testing.B) [][]byte {
	return bytes.Split(bytes.TrimSuffix(benchCorpus(b), []byte("\n")), []byte("\n"))
}

// BenchmarkDecodeEnvelope decodes the routing fields of corpus lines.
func BenchmarkDecodeEnvelope(b *testing.B) {
	lines := corpusLines(b)
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := stream.DecodeEnvelope(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkStdlibUnmarshal is the reference point: encoding/json decoding
// the same routing fields into a struct.
func BenchmarkStdlibUnmarshal(b *testing.B) {
	lines := corpusLines(b)
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	type routing struct {
		Type            string                `json:"type"`
		Subtype         string                `json:"subtype"`
		SessionID       string                `json:"session_id"`
		UUID            string                `json:"uuid"`
		ParentToolUseID *string               `json:"parent_tool_use_id"`
		Event           struct{ Type string } `json:"event"`
	}
	i := 0
	for b.Loop() {
		var r routing
		if err := json.Unmarshal(lines[i%len(lines)], &r); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lines/s")
}
