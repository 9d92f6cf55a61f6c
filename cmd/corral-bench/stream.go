package main

import (
	"context"
	"fmt"
	"io"

	"github.com/corral-dev/corral/stream/streambench"
)

func runBenchStream(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("stream", args, stdout, stderr)
	var opt streambench.Options
	fs.IntVar(&opt.Lines, "lines", 1_000_000, "corpus size in lines")
	fs.IntVar(&opt.Rounds, "rounds", 3, "rounds of raw, pipeline, proc and node, back to back")
	fs.StringVar(&opt.CorpusPath, "corpus", "", "use this JSONL `file` instead of generating one")
	fs.StringVar(&opt.NodeScript, "node-script", "", "path of bench/node/jsonl-baseline.mjs (default: found from the current directory)")
	fs.BoolVar(&opt.SkipNode, "skip-node", false, "skip the Node baseline")
	rss := fs.Int64("rss-bytes", 1<<30, "bytes to stream while measuring peak RSS (negative skips it)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opt.RSSBytes = *rss
	if _, err := streambench.RunPipelineBench(stdout, opt); err != nil {
		fmt.Fprintf(stderr, "corral-bench stream: %v\n", err)
		return 1
	}
	return 0
}
