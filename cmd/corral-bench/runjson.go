package main

import (
	"context"
	"fmt"
	"io"

	"github.com/corral-dev/corral/stream/streambench"
)

func runBenchRunJSON(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run-json", args, stdout, stderr)
	var opt streambench.RunJSONOptions
	corral := corralFlag(fs)
	fs.IntVar(&opt.Lines, "lines", 300_000, "corpus size in lines")
	fs.IntVar(&opt.Rounds, "rounds", 5, "rounds of node, run, run --json (and --before), alternating their order")
	fs.StringVar(&opt.CorpusPath, "corpus", "", "use this JSONL `file` instead of generating one")
	fs.StringVar(&opt.Before, "before", "", "an earlier corral `executable` whose run --json is measured in the same rounds")
	fs.StringVar(&opt.NodeScript, "node-script", "", "path of bench/node/jsonl-baseline.mjs (default: found from the current directory)")
	fs.BoolVar(&opt.SkipNode, "skip-node", false, "skip the Node baseline")
	fs.StringVar(&opt.DataDir, "data", "", "corral's data `directory` for the runs (default: a temporary one, removed afterwards)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	var err error
	if opt.Corral, err = findCorral(*corral); err != nil {
		fmt.Fprintf(stderr, "corral-bench run-json: %v\n", err)
		return 1
	}
	if _, err := streambench.RunJSONBench(stdout, opt); err != nil {
		fmt.Fprintf(stderr, "corral-bench run-json: %v\n", err)
		return 1
	}
	return 0
}
