// Package streambench measures corral's output pipeline end to end, for
// `go test -bench` and for `corral-bench stream` (cmd/corral-bench): a child process
// (`cat` of a generated JSONL corpus shaped like Claude Code stream-json)
// writes to a pipe, a stream.Framer frames the lines and
// stream.DecodeEnvelope decodes each one. It measures, in the same run:
//
//   - raw: the same child read with bufio.Reader.ReadSlice('\n'), counting
//     lines and decoding nothing (the ceiling for any line reader);
//   - pipeline: Framer plus DecodeEnvelope on every line;
//   - node: the JsonLineParser design run by Node
//     (bench/node/jsonl-baseline.mjs: string buffer, split on "\n",
//     JSON.parse per line) on the same file;
//   - peak RSS of this process while about 1 GiB streams through the
//     pipeline (Linux; VmHWM after resetting it).
//
// Everything is real: the children are spawned, nothing is simulated.
package streambench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/corral-dev/corral/stream"
	"github.com/corral-dev/corral/stream/internal/corpus"
)

// Options configures RunPipelineBench. The zero value runs the full
// benchmark.
type Options struct {
	// Lines is the corpus size when the corpus is generated; default
	// 1,000,000.
	Lines int
	// Seed seeds the corpus generator; the same seed gives the same bytes.
	Seed uint64
	// CorpusPath names an existing JSONL corpus to use. When empty a corpus
	// is generated in a temporary directory and removed afterwards.
	CorpusPath string
	// Rounds is how many times raw, pipeline and node run, one after the
	// other in each round; default 3.
	Rounds int
	// Node is the node executable; default "node" from PATH.
	Node string
	// NodeScript is the path of jsonl-baseline.mjs; default
	// bench/node/jsonl-baseline.mjs in the current directory or the
	// nearest parent that has it.
	NodeScript string
	// SkipNode skips the Node baseline (its figures stay zero).
	SkipNode bool
	// RSSBytes is how much output to stream for the peak-RSS measurement
	// (the corpus is concatenated as often as needed); default 1 GiB,
	// negative skips it.
	RSSBytes int64
}

// Measurement is one timed run over the corpus.
type Measurement struct {
	Lines   int64
	Bytes   int64
	Seconds float64 // wall time
	// CPUSeconds is the CPU time (user+system) of the reading process and
	// of cat together: a second measure that stays meaningful when other
	// work competes for the cores. Zero where it cannot be measured.
	CPUSeconds float64
}

// LinesPerCPUSec returns lines per CPU-second, 0 if CPU time is unknown.
func (m Measurement) LinesPerCPUSec() float64 {
	if m.CPUSeconds <= 0 {
		return 0
	}
	return float64(m.Lines) / m.CPUSeconds
}

// LinesPerSec returns the throughput in lines per second.
func (m Measurement) LinesPerSec() float64 {
	if m.Seconds <= 0 {
		return 0
	}
	return float64(m.Lines) / m.Seconds
}

// MBPerSec returns the throughput in megabytes (10^6 bytes) per second.
func (m Measurement) MBPerSec() float64 {
	if m.Seconds <= 0 {
		return 0
	}
	return float64(m.Bytes) / 1e6 / m.Seconds
}

// Round holds the three measurements taken back to back.
type Round struct {
	Raw, Pipeline, Proc, Node Measurement
}

// Result is the outcome of RunPipelineBench.
type Result struct {
	CorpusLines int64
	CorpusBytes int64
	Rounds      []Round
	// Median is, for each column, the median of the rounds; ratios are
	// computed per round and their medians reported separately.
	Median        Round
	VsNode, VsRaw float64 // median over rounds of pipeline/node and pipeline/raw lines per second
	// The same ratios for the proc path (RunProcPipeline), which the targets
	// are held to: it is what corral itself does with a child's output.
	ProcVsNode, ProcVsRaw float64
	// The same ratios in lines per CPU-second (0 when CPU time is unknown).
	VsNodeCPU, VsRawCPU float64
	PeakRSS             int64 // bytes; 0 when not measured
	RSSStreamed         int64 // bytes streamed during the peak-RSS run
	RSSLines            int64
	RSSNotMeasured      string // why PeakRSS is 0, if it is
	NodeVersion         string
	DecodeErrors        int64
	CorpusGenerated     bool
}

// Targets the benchmark is held to.
const (
	TargetLinesPerSec = 1_000_000
	TargetVsNode      = 3.0
	TargetVsRaw       = 0.25
	TargetPeakRSS     = 64 << 20
)

// RunPipelineBench runs the benchmark, writes a readable report to w (nil
// for none) and returns the figures.
func RunPipelineBench(w io.Writer, opt Options) (Result, error) {
	if w == nil {
		w = io.Discard
	}
	opt = opt.withDefaults()
	var res Result
	env, cleanup, err := setUpPipelineBench(w, opt, &res)
	if err != nil {
		return res, err
	}
	defer cleanup()
	for i := range opt.Rounds {
		r, err := env.round(&res)
		if err != nil {
			return res, err
		}
		res.CorpusLines = r.Pipeline.Lines
		res.Rounds = append(res.Rounds, r)
		fmt.Fprintf(w, "round %d: raw %.0f lines/s, pipeline %.0f lines/s, proc %.0f lines/s, node %.0f lines/s\n",
			i+1, r.Raw.LinesPerSec(), r.Pipeline.LinesPerSec(), r.Proc.LinesPerSec(), r.Node.LinesPerSec())
	}
	if res.DecodeErrors > 0 {
		return res, fmt.Errorf("streambench: %d corpus lines failed to decode", res.DecodeErrors)
	}
	summarize(&res, opt.SkipNode)
	if opt.RSSBytes > 0 {
		if err := env.measureRSS(&res, opt.RSSBytes); err != nil {
			return res, err
		}
	}
	WriteTable(w, res)
	return res, nil
}

// withDefaults returns opt with its zero fields set to the defaults
// (1,000,000 lines, seed 1, 3 rounds, 1 GiB for the peak-RSS run).
func (opt Options) withDefaults() Options {
	if opt.Lines <= 0 {
		opt.Lines = 1_000_000
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Rounds <= 0 {
		opt.Rounds = 3
	}
	if opt.RSSBytes == 0 {
		opt.RSSBytes = 1 << 30
	}
	return opt
}

// pipelineEnv is what every round of the pipeline benchmark runs: the
// child (cat), the Node baseline (node empty when skipped) and the corpus.
type pipelineEnv struct {
	cat, node, script, path string
}

// setUpPipelineBench finds cat and Node, and generates the corpus unless
// opt names one; it fills res's corpus and Node fields. cleanup removes
// what it generated.
func setUpPipelineBench(w io.Writer, opt Options, res *Result) (env pipelineEnv, cleanup func(), err error) {
	cleanup = func() {}
	if env.cat, err = exec.LookPath("cat"); err != nil {
		return env, cleanup, fmt.Errorf("streambench: the benchmark child is cat: %w", err)
	}
	if !opt.SkipNode {
		if env.node, env.script, err = findNode(opt); err != nil {
			return env, cleanup, err
		}
		out, err := exec.Command(env.node, "--version").Output()
		if err != nil {
			return env, cleanup, fmt.Errorf("streambench: %s --version: %w", env.node, err)
		}
		res.NodeVersion = strings.TrimSpace(string(out))
	}
	env.path = opt.CorpusPath
	if env.path == "" {
		dir, err := os.MkdirTemp("", "corral-streambench-")
		if err != nil {
			return env, cleanup, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		env.path = filepath.Join(dir, "corpus.jsonl")
		if err := WriteCorpus(env.path, opt.Lines, opt.Seed); err != nil {
			return env, cleanup, err
		}
		res.CorpusGenerated = true
	}
	st, err := os.Stat(env.path)
	if err != nil {
		return env, cleanup, err
	}
	res.CorpusBytes = st.Size()
	fmt.Fprintf(w, "corpus: %s (%.1f MB)\n", env.path, float64(res.CorpusBytes)/1e6)
	return env, cleanup, nil
}

// round measures raw, pipeline, proc and (unless skipped) node back to
// back, adds their decode errors to res, and checks that they all saw the
// same lines.
func (env pipelineEnv) round(res *Result) (Round, error) {
	var r Round
	var err error
	if r.Raw, err = RunRaw(env.cat, env.path); err != nil {
		return r, err
	}
	var decErrs int64
	if r.Pipeline, decErrs, err = RunPipeline(env.cat, env.path); err != nil {
		return r, err
	}
	res.DecodeErrors += decErrs
	if r.Proc, decErrs, err = RunProcPipeline(env.cat, env.path); err != nil {
		return r, err
	}
	res.DecodeErrors += decErrs
	if env.node != "" {
		if r.Node, err = RunNode(env.node, env.script, env.path); err != nil {
			return r, err
		}
	}
	if r.Raw.Lines != r.Pipeline.Lines || r.Proc.Lines != r.Pipeline.Lines || (env.node != "" && r.Node.Lines != r.Pipeline.Lines) {
		return r, fmt.Errorf("streambench: line counts differ: raw %d, pipeline %d, proc %d, node %d",
			r.Raw.Lines, r.Pipeline.Lines, r.Proc.Lines, r.Node.Lines)
	}
	return r, nil
}

// summarize sets res's medians and ratios from its rounds.
func summarize(res *Result, skipNode bool) {
	res.Median = Round{
		Raw:      median(res.Rounds, func(r Round) Measurement { return r.Raw }),
		Pipeline: median(res.Rounds, func(r Round) Measurement { return r.Pipeline }),
		Proc:     median(res.Rounds, func(r Round) Measurement { return r.Proc }),
		Node:     median(res.Rounds, func(r Round) Measurement { return r.Node }),
	}
	res.VsRaw = medianOf(res.Rounds, func(r Round) float64 { return r.Pipeline.LinesPerSec() / r.Raw.LinesPerSec() })
	res.VsRawCPU = medianOf(res.Rounds, func(r Round) float64 { return ratio(r.Pipeline.LinesPerCPUSec(), r.Raw.LinesPerCPUSec()) })
	res.ProcVsRaw = medianOf(res.Rounds, func(r Round) float64 { return r.Proc.LinesPerSec() / r.Raw.LinesPerSec() })
	if !skipNode {
		res.ProcVsNode = medianOf(res.Rounds, func(r Round) float64 { return r.Proc.LinesPerSec() / r.Node.LinesPerSec() })
		res.VsNode = medianOf(res.Rounds, func(r Round) float64 { return r.Pipeline.LinesPerSec() / r.Node.LinesPerSec() })
		res.VsNodeCPU = medianOf(res.Rounds, func(r Round) float64 { return ratio(r.Pipeline.LinesPerCPUSec(), r.Node.LinesPerCPUSec()) })
	}
}

// measureRSS streams the corpus, repeated up to rssBytes, through the proc
// path and records its peak RSS in res.
func (env pipelineEnv) measureRSS(res *Result, rssBytes int64) error {
	copies := int((rssBytes + res.CorpusBytes - 1) / res.CorpusBytes)
	args := make([]string, copies)
	for i := range args {
		args[i] = env.path
	}
	peak, m, why, err := measurePeakRSS(func() (Measurement, error) {
		m, _, err := RunProcPipeline(env.cat, args...)
		return m, err
	})
	if err != nil {
		return err
	}
	res.PeakRSS, res.RSSStreamed, res.RSSLines, res.RSSNotMeasured = peak, m.Bytes, m.Lines, why
	return nil
}

// WriteCorpus writes the benchmark corpus (lines lines of Claude Code
// stream-json shaped JSONL, deterministic for seed) to path.
func WriteCorpus(path string, lines int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := corpus.Generate(f, lines, seed); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func findNode(opt Options) (node, script string, err error) {
	node = opt.Node
	if node == "" {
		node = "node"
	}
	if node, err = exec.LookPath(node); err != nil {
		return "", "", fmt.Errorf("streambench: node baseline needs node (or SkipNode): %w", err)
	}
	script = opt.NodeScript
	if script == "" {
		dir, err := os.Getwd()
		if err != nil {
			return "", "", err
		}
		for {
			p := filepath.Join(dir, "bench", "node", "jsonl-baseline.mjs")
			if _, err := os.Stat(p); err == nil {
				script = p
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return "", "", errors.New("streambench: bench/node/jsonl-baseline.mjs not found from the current directory; set NodeScript")
			}
			dir = parent
		}
	}
	if _, err := os.Stat(script); err != nil {
		return "", "", fmt.Errorf("streambench: node baseline script: %w", err)
	}
	return node, script, nil
}

// startCat starts cat on files with its stdout on a pipe.
func startCat(cat string, files []string) (*exec.Cmd, io.ReadCloser, error) {
	cmd := exec.Command(cat, files...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("streambench: start %s: %w", cat, err)
	}
	return cmd, out, nil
}

// RunRaw reads `cat files...` with bufio.Reader.ReadSlice('\n') and counts
// lines, decoding nothing.
func RunRaw(cat string, files ...string) (Measurement, error) {
	start, cpu0 := time.Now(), selfCPU()
	cmd, out, err := startCat(cat, files)
	if err != nil {
		return Measurement{}, err
	}
	var m Measurement
	br := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		m.Bytes += int64(len(line))
		if err == nil {
			m.Lines++
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 {
			m.Lines++
		}
		if err != io.EOF {
			cmd.Wait()
			return m, err
		}
		break
	}
	if err := cmd.Wait(); err != nil {
		return m, fmt.Errorf("streambench: cat: %w", err)
	}
	m.Seconds = time.Since(start).Seconds()
	m.CPUSeconds = cpuOf(cpu0, cmd)
	return m, nil
}

// cpuOf returns the CPU time this process used since cpu0 plus that of the
// exited cmd, or 0 if this platform cannot tell.
func cpuOf(cpu0 float64, cmd *exec.Cmd) float64 {
	self := selfCPU()
	if self <= 0 || cmd.ProcessState == nil {
		return 0
	}
	return self - cpu0 + (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
}

// RunPipeline reads `cat files...` through stream.Framer and decodes every
// line with stream.DecodeEnvelope. It returns the lines that failed to
// decode separately (a benchmark corpus should have none).
func RunPipeline(cat string, files ...string) (Measurement, int64, error) {
	start, cpu0 := time.Now(), selfCPU()
	cmd, out, err := startCat(cat, files)
	if err != nil {
		return Measurement{}, 0, err
	}
	var m Measurement
	var decodeErrors, typed int64
	fr := stream.NewFramer(out, stream.Options{})
	for {
		l, err := fr.Next()
		if err != nil {
			if err != io.EOF {
				cmd.Wait()
				return m, decodeErrors, err
			}
			break
		}
		m.Lines++
		m.Bytes += int64(len(l.Bytes)) + 1
		env, err := stream.DecodeEnvelope(l.Bytes)
		if err != nil {
			decodeErrors++
			continue
		}
		if env.Type != "" {
			typed++
		}
	}
	if err := cmd.Wait(); err != nil {
		return m, decodeErrors, fmt.Errorf("streambench: cat: %w", err)
	}
	m.Seconds = time.Since(start).Seconds()
	m.CPUSeconds = cpuOf(cpu0, cmd)
	if typed+decodeErrors != m.Lines {
		return m, decodeErrors, fmt.Errorf("streambench: %d of %d lines have no type", m.Lines-typed-decodeErrors, m.Lines)
	}
	return m, decodeErrors, nil
}

// RunNode runs the Node baseline script on file and returns what it
// measured (its own clock, from before its spawn of cat to the child's
// close).
func RunNode(node, script, file string) (Measurement, error) {
	var stdout bytes.Buffer
	cmd := exec.Command(node, script, file)
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return Measurement{}, fmt.Errorf("streambench: %s %s: %w", node, script, err)
	}
	var r struct {
		Lines   int64   `json:"lines"`
		Bytes   int64   `json:"bytes"`
		Errors  int64   `json:"errors"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &r); err != nil {
		return Measurement{}, fmt.Errorf("streambench: node output %q: %w", stdout.String(), err)
	}
	if r.Errors > 0 {
		return Measurement{}, fmt.Errorf("streambench: node failed to parse %d lines", r.Errors)
	}
	// Node's CPU time includes cat's: the kernel adds a waited-for child's
	// usage to its parent's.
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return Measurement{Lines: r.Lines, Bytes: r.Bytes, Seconds: r.Seconds, CPUSeconds: cpu}, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func median(rs []Round, f func(Round) Measurement) Measurement {
	ms := make([]Measurement, len(rs))
	for i, r := range rs {
		ms[i] = f(r)
	}
	slices.SortFunc(ms, func(a, b Measurement) int {
		switch {
		case a.LinesPerSec() < b.LinesPerSec():
			return -1
		case a.LinesPerSec() > b.LinesPerSec():
			return 1
		}
		return 0
	})
	return ms[len(ms)/2]
}

func medianOf(rs []Round, f func(Round) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// WriteTable writes the side-by-side report of res.
func WriteTable(w io.Writer, res Result) {
	fmt.Fprintf(w, "\n%d lines, %.1f MB, %.0f bytes/line; %d rounds, medians:\n",
		res.CorpusLines, float64(res.CorpusBytes)/1e6, float64(res.CorpusBytes)/float64(max(res.CorpusLines, 1)), len(res.Rounds))
	fmt.Fprintf(w, "%-46s %12s %9s %9s %12s\n", "reader", "lines/s", "MB/s", "seconds", "lines/CPU-s")
	row := func(name string, m Measurement) {
		fmt.Fprintf(w, "%-46s %12.0f %9.1f %9.3f %12.0f\n", name, m.LinesPerSec(), m.MBPerSec(), m.Seconds, m.LinesPerCPUSec())
	}
	row("cat -> bufio ReadSlice('\\n') (raw, no decode)", res.Median.Raw)
	row("cat -> stream.Framer + DecodeEnvelope", res.Median.Pipeline)
	row("cat -> proc.Start (framed, numbered) + Decode", res.Median.Proc)
	if res.NodeVersion != "" {
		row("cat -> node "+res.NodeVersion+" JsonLineParser", res.Median.Node)
	}
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "\npipeline: %.0f lines/s (target >= %d): %s\n", res.Median.Pipeline.LinesPerSec(),
		TargetLinesPerSec, check(res.Median.Pipeline.LinesPerSec() >= TargetLinesPerSec))
	if res.NodeVersion != "" {
		fmt.Fprintf(w, "pipeline / node: %.2fx (target >= %.0fx): %s; per CPU-second %.2fx\n", res.VsNode, TargetVsNode, check(res.VsNode >= TargetVsNode), res.VsNodeCPU)
	}
	fmt.Fprintf(w, "pipeline / raw: %.1f%% (target >= %.0f%%): %s; per CPU-second %.1f%%\n", 100*res.VsRaw, 100*TargetVsRaw, check(res.VsRaw >= TargetVsRaw), 100*res.VsRawCPU)
	fmt.Fprintf(w, "proc path: %.0f lines/s (target >= %d): %s; / raw %.1f%%: %s",
		res.Median.Proc.LinesPerSec(), TargetLinesPerSec, check(res.Median.Proc.LinesPerSec() >= TargetLinesPerSec),
		100*res.ProcVsRaw, check(res.ProcVsRaw >= TargetVsRaw))
	if res.NodeVersion != "" {
		fmt.Fprintf(w, "; / node %.2fx: %s", res.ProcVsNode, check(res.ProcVsNode >= TargetVsNode))
	}
	fmt.Fprintln(w)
	switch {
	case res.PeakRSS > 0:
		fmt.Fprintf(w, "peak RSS streaming %.2f GB (%d lines) through proc.Start + DecodeEnvelope: %.1f MiB (target < %d MiB): %s\n",
			float64(res.RSSStreamed)/1e9, res.RSSLines, float64(res.PeakRSS)/(1<<20), TargetPeakRSS>>20, check(res.PeakRSS < TargetPeakRSS))
	case res.RSSNotMeasured != "":
		fmt.Fprintf(w, "peak RSS: not measured (%s)\n", res.RSSNotMeasured)
	}
}
