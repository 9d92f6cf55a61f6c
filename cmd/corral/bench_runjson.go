package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/corral-dev/corral/stream/streambench"
)

func init() {
	registerBench("run-json", "corral run --json -- cat of a 300,000-line JSONL corpus, read end to end, beside the byte pass-through and a Node baseline", runBenchRunJSON)
}

func runBenchRunJSON(_ context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench run-json", g, stderr)
	var opt streambench.RunJSONOptions
	fs.IntVar(&opt.Lines, "lines", 300_000, "corpus size in lines")
	fs.IntVar(&opt.Rounds, "rounds", 5, "rounds of node, run, run --json (and --before), alternating their order")
	fs.StringVar(&opt.CorpusPath, "corpus", "", "use this JSONL `file` instead of generating one")
	fs.StringVar(&opt.Before, "before", "", "an earlier corral `executable` whose run --json is measured in the same rounds")
	fs.StringVar(&opt.NodeScript, "node-script", "", "path of bench/node/jsonl-baseline.mjs (default: found from the current directory)")
	fs.BoolVar(&opt.SkipNode, "skip-node", false, "skip the Node baseline")
	if fs.Parse(args) != nil {
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "corral bench run-json: %v\n", err)
		return 1
	}
	opt.Corral, opt.DataDir = exe, g.Data
	if _, err := streambench.RunJSONBench(stdout, opt); err != nil {
		fmt.Fprintf(stderr, "corral bench run-json: %v\n", err)
		return 1
	}
	return 0
}
