// Command gencorpus writes the stream benchmark corpus: JSONL shaped like
// Claude Code stream-json output, deterministic for a seed. The Node
// baseline reads the same file:
//
//	go run ./stream/streambench/gencorpus -o /tmp/corpus.jsonl
//	node bench/node/jsonl-baseline.mjs /tmp/corpus.jsonl
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/corral-dev/corral/stream/streambench"
)

func main() {
	out := flag.String("o", "corpus.jsonl", "output file")
	lines := flag.Int("n", 1_000_000, "number of lines")
	seed := flag.Uint64("seed", 1, "generator seed")
	flag.Parse()
	if err := streambench.WriteCorpus(*out, *lines, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	st, err := os.Stat(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d lines, %d bytes\n", *out, *lines, st.Size())
}
