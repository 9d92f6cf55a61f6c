package streambench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// RunJSONOptions configures RunJSONBench: `corral run --json -- cat CORPUS`
// end to end, read by this process from corral's stdout, beside the Node
// baseline parsing the same corpus and `corral run -- cat CORPUS` (the byte
// pass-through).
type RunJSONOptions struct {
	// Corral is the corral executable measured. Required.
	Corral string
	// Before is an earlier corral build measured in the same rounds (the
	// "before" of a change); empty skips it.
	Before string
	// Lines is the size of the generated corpus; default 300,000.
	Lines int
	// Seed seeds the corpus generator; default 1.
	Seed uint64
	// CorpusPath names an existing JSONL corpus instead of generating one.
	CorpusPath string
	// Rounds of every reader; default 5. Odd rounds run the readers in the
	// reverse order, so that no reader always runs first.
	Rounds int
	// Node, NodeScript and SkipNode are as in Options.
	Node, NodeScript string
	SkipNode         bool
	// DataDir is corral's --data directory for the runs; default a
	// temporary directory, removed afterwards.
	DataDir string
}

// RunJSONRound holds one round's measurements. Lines counts the child's
// lines in every column (the exit line of --json is not counted).
type RunJSONRound struct {
	Node, Bytes, JSON, Before Measurement
}

// RunJSONResult is the outcome of RunJSONBench. Ratios are medians over
// the rounds of the per-round ratio of lines per second.
type RunJSONResult struct {
	CorpusLines, CorpusBytes int64
	Rounds                   []RunJSONRound
	Median                   RunJSONRound
	JSONVsNode               float64 // corral run --json / node
	BeforeVsNode             float64 // the Before build's --json / node
	JSONVsBefore             float64
	BytesVsJSON              float64 // pass-through / --json
	NodeVersion              string
}

// TargetRunJSONVsNode is what `corral run --json` is held to against the
// Node baseline, end to end.
const TargetRunJSONVsNode = 3.0

// RunCorral runs `exe run --data dataDir [--json] -- cat file`, reads its
// stdout with bufio.Reader.ReadSlice('\n') and counts the lines, as a
// consumer that splits lines would. With asJSON it checks that the last line
// is the exit line of a successful run and does not count it.
func RunCorral(exe, dataDir, cat, file string, asJSON bool) (Measurement, error) {
	args := []string{"run", "--data", dataDir}
	if asJSON {
		args = append(args, "--json")
	}
	args = append(args, "--", cat, file)
	start, cpu0 := time.Now(), selfCPU()
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return Measurement{}, err
	}
	if err := cmd.Start(); err != nil {
		return Measurement{}, fmt.Errorf("streambench: start %s: %w", exe, err)
	}
	var m Measurement
	exitLine := false
	br := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		m.Bytes += int64(len(line))
		if err == nil || len(line) > 0 && err == io.EOF {
			m.Lines++
			exitLine = asJSON && bytes.HasPrefix(line, []byte(`{"stream":"exit",`)) && bytes.Contains(line, []byte(`"code":0,`))
		}
		if err == nil || errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != io.EOF {
			cmd.Wait()
			return m, err
		}
		break
	}
	if err := cmd.Wait(); err != nil {
		return m, fmt.Errorf("streambench: %s %s: %w", exe, strings.Join(args, " "), err)
	}
	m.Seconds = time.Since(start).Seconds()
	m.CPUSeconds = cpuOf(cpu0, cmd)
	if asJSON {
		if !exitLine {
			return m, fmt.Errorf("streambench: %s run --json did not end with a successful exit line", exe)
		}
		m.Lines--
	}
	return m, nil
}

// RunJSONBench runs the rounds and writes a report to w (nil for none).
func RunJSONBench(w io.Writer, opt RunJSONOptions) (RunJSONResult, error) {
	var res RunJSONResult
	if w == nil {
		w = io.Discard
	}
	if opt.Corral == "" {
		return res, errors.New("streambench: RunJSONOptions.Corral is required")
	}
	opt.Lines = cmp0(opt.Lines, 300_000)
	opt.Rounds = cmp0(opt.Rounds, 5)
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		return res, fmt.Errorf("streambench: the benchmark child is cat: %w", err)
	}
	var node, script string
	if !opt.SkipNode {
		if node, script, err = findNode(Options{Node: opt.Node, NodeScript: opt.NodeScript}); err != nil {
			return res, err
		}
		v, err := exec.Command(node, "--version").Output()
		if err != nil {
			return res, fmt.Errorf("streambench: %s --version: %w", node, err)
		}
		res.NodeVersion = strings.TrimSpace(string(v))
	}
	tmp, err := os.MkdirTemp("", "corral-runjsonbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	if opt.DataDir == "" {
		opt.DataDir = filepath.Join(tmp, "data")
	}
	path := opt.CorpusPath
	if path == "" {
		path = filepath.Join(tmp, "corpus.jsonl")
		if err := WriteCorpus(path, opt.Lines, opt.Seed); err != nil {
			return res, err
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return res, err
	}
	res.CorpusBytes = st.Size()
	fmt.Fprintf(w, "corpus: %s (%.1f MB)\n", path, float64(res.CorpusBytes)/1e6)

	for i := range opt.Rounds {
		r, err := runJSONRound(opt, node, script, cat, path, i%2 == 1)
		if err != nil {
			return res, err
		}
		if res.CorpusLines == 0 {
			res.CorpusLines = r.Bytes.Lines
		}
		for _, m := range []Measurement{r.Node, r.Bytes, r.JSON, r.Before} {
			if m.Seconds > 0 && m.Lines != res.CorpusLines {
				return res, fmt.Errorf("streambench: line counts differ in round %d: %+v", i+1, r)
			}
		}
		res.Rounds = append(res.Rounds, r)
		fmt.Fprintf(w, "round %d: node %.0f, run %.0f, run --json %.0f, before --json %.0f lines/s\n", i+1,
			r.Node.LinesPerSec(), r.Bytes.LinesPerSec(), r.JSON.LinesPerSec(), r.Before.LinesPerSec())
	}
	res.summarize()
	writeRunJSONTable(w, res, opt.Before != "")
	return res, nil
}

// Columns of a RunJSONRound.
func colNode(r RunJSONRound) Measurement   { return r.Node }
func colBytes(r RunJSONRound) Measurement  { return r.Bytes }
func colJSON(r RunJSONRound) Measurement   { return r.JSON }
func colBefore(r RunJSONRound) Measurement { return r.Before }

// summarize fills the medians and ratios from the rounds.
func (res *RunJSONResult) summarize() {
	col := func(f func(RunJSONRound) Measurement) Measurement {
		rs := make([]Round, len(res.Rounds))
		for i, r := range res.Rounds {
			rs[i].Raw = f(r)
		}
		return median(rs, func(r Round) Measurement { return r.Raw })
	}
	ratioOf := func(a, b func(RunJSONRound) Measurement) float64 {
		v := make([]float64, len(res.Rounds))
		for i, r := range res.Rounds {
			v[i] = ratio(a(r).LinesPerSec(), b(r).LinesPerSec())
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	res.Median = RunJSONRound{Node: col(colNode), Bytes: col(colBytes), JSON: col(colJSON), Before: col(colBefore)}
	res.JSONVsNode = ratioOf(colJSON, colNode)
	res.BeforeVsNode = ratioOf(colBefore, colNode)
	res.JSONVsBefore = ratioOf(colJSON, colBefore)
	res.BytesVsJSON = ratioOf(colBytes, colJSON)
}

// runJSONRound measures each reader once, in reverse order when reverse.
func runJSONRound(opt RunJSONOptions, node, script, cat, path string, reverse bool) (RunJSONRound, error) {
	var r RunJSONRound
	steps := []func() error{
		func() (err error) {
			if !opt.SkipNode {
				r.Node, err = RunNode(node, script, path)
			}
			return err
		},
		func() (err error) { r.Bytes, err = RunCorral(opt.Corral, opt.DataDir, cat, path, false); return err },
		func() (err error) { r.JSON, err = RunCorral(opt.Corral, opt.DataDir, cat, path, true); return err },
		func() (err error) {
			if opt.Before != "" {
				r.Before, err = RunCorral(opt.Before, opt.DataDir, cat, path, true)
			}
			return err
		},
	}
	if reverse {
		slices.Reverse(steps)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// writeRunJSONTable writes the report of RunJSONBench.
func writeRunJSONTable(w io.Writer, res RunJSONResult, before bool) {
	fmt.Fprintf(w, "\n%d lines, %.1f MB; %d rounds, medians:\n", res.CorpusLines, float64(res.CorpusBytes)/1e6, len(res.Rounds))
	fmt.Fprintf(w, "%-44s %12s %9s %9s %12s\n", "reader", "lines/s", "MB/s", "seconds", "lines/CPU-s")
	row := func(name string, m Measurement) {
		fmt.Fprintf(w, "%-44s %12.0f %9.1f %9.3f %12.0f\n", name, m.LinesPerSec(), m.MBPerSec(), m.Seconds, m.LinesPerCPUSec())
	}
	if res.NodeVersion != "" {
		row("cat -> node "+res.NodeVersion+" JsonLineParser", res.Median.Node)
	}
	row("corral run -- cat (byte pass-through)", res.Median.Bytes)
	row("corral run --json -- cat", res.Median.JSON)
	if before {
		row("corral run --json -- cat (before)", res.Median.Before)
	}
	fmt.Fprintf(w, "\npass-through / --json: %.2fx\n", res.BytesVsJSON)
	if before {
		fmt.Fprintf(w, "--json / before: %.2fx\n", res.JSONVsBefore)
	}
	if res.NodeVersion != "" {
		met := "met"
		if res.JSONVsNode < TargetRunJSONVsNode {
			met = "MISSED"
		}
		fmt.Fprintf(w, "--json / node: %.2fx (target >= %.0fx): %s\n", res.JSONVsNode, TargetRunJSONVsNode, met)
		if before {
			fmt.Fprintf(w, "before --json / node: %.2fx\n", res.BeforeVsNode)
		}
	}
}

func cmp0(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
