package streambench

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// A small end-to-end run: the three readers see the same lines, the table
// is printed, and the peak RSS is measured on Linux. (Speed targets are
// checked by the benchmark, not here.)
func TestRunPipelineBenchSmall(t *testing.T) {
	opt := Options{Lines: 3000, Rounds: 2, RSSBytes: 8 << 20}
	if _, err := exec.LookPath("node"); err != nil {
		opt.SkipNode = true
		t.Log("node not in PATH: the Node baseline is skipped")
	}
	var out bytes.Buffer
	res, err := RunPipelineBench(&out, opt)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.CorpusLines != 3000 || len(res.Rounds) != 2 || res.DecodeErrors != 0 {
		t.Fatalf("result %+v", res)
	}
	for _, r := range res.Rounds {
		if r.Raw.Bytes != res.CorpusBytes || r.Pipeline.Bytes != res.CorpusBytes || r.Pipeline.Seconds <= 0 {
			t.Fatalf("round %+v, corpus %d bytes", r, res.CorpusBytes)
		}
		if !opt.SkipNode && (r.Node.Lines != 3000 || r.Node.Bytes != res.CorpusBytes) {
			t.Fatalf("node round %+v", r.Node)
		}
	}
	if res.RSSStreamed < 8<<20 || res.RSSLines == 0 {
		t.Fatalf("peak-RSS run streamed %d bytes", res.RSSStreamed)
	}
	if runtime.GOOS == "linux" && res.PeakRSS <= 0 {
		t.Fatalf("peak RSS not measured: %s", res.RSSNotMeasured)
	}
	for _, want := range []string{"stream.Framer + DecodeEnvelope", "ReadSlice", "pipeline / raw"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

func TestRunNodeMissingScript(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not in PATH")
	}
	if _, err := RunPipelineBench(nil, Options{Lines: 10, Rounds: 1, RSSBytes: -1, NodeScript: "/nonexistent/x.mjs"}); err == nil {
		t.Fatal("a missing node script must be an error")
	}
}

// RunJSONBench end to end on a small corpus, with a corral built for the
// test: every reader sees the corpus's lines, and the report is printed.
func TestRunJSONBenchSmall(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "corral")
	build := exec.Command("go", "build", "-o", exe, "github.com/corral-dev/corral/cmd/corral")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	opt := RunJSONOptions{Corral: exe, Before: exe, Lines: 2000, Rounds: 2}
	if _, err := exec.LookPath("node"); err != nil {
		opt.SkipNode = true
	}
	var out bytes.Buffer
	res, err := RunJSONBench(&out, opt)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if res.CorpusLines != 2000 || len(res.Rounds) != 2 {
		t.Fatalf("result %+v", res)
	}
	for _, r := range res.Rounds {
		if r.JSON.Lines != 2000 || r.Before.Lines != 2000 || r.Bytes.Bytes != res.CorpusBytes || r.JSON.Bytes <= res.CorpusBytes {
			t.Fatalf("round %+v, corpus %d bytes", r, res.CorpusBytes)
		}
	}
	for _, want := range []string{"corral run --json -- cat", "pass-through / --json", "--json / before"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}
