package agent

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind: the contract
// tests' driver owns reader goroutines per process and the mock owns
// stalled streams. It also bounds minimization when fuzzing (see
// limitFuzzMinimization).
func TestMain(m *testing.M) {
	flag.Parse()
	limitFuzzMinimization()
	goleak.VerifyTestMain(m)
}

// fuzzMinimizeDefault is -test.fuzzminimizetime when fuzzing without it.
//
// Go's fuzzer minimizes every input that reaches new code before it goes
// on, and its minimizer tries removing every range of bytes: about n²/2
// executions for an n-byte input, each about 100–150 µs here with the
// coverage counters of the whole test binary. The decoders' inputs are
// JSON lines of a few hundred bytes to 4 KiB, and nearly every early
// mutation of one reaches new code, so FuzzGeminiDecode and FuzzACPDecode
// spent whole runs minimizing (up to the default 60 s per input): about
// 115 executions in 20 s, and a run that ended mid-minimization reported
// "fuzzing process hung or terminated unexpectedly while minimizing" as a
// failure (golang/go#48820). 1,000 executions keep a minimized input
// short enough to read; pass -fuzzminimizetime to minimize a crasher
// further.
const fuzzMinimizeDefault = "1000x"

// limitFuzzMinimization sets -test.fuzzminimizetime to fuzzMinimizeDefault
// when -test.fuzz is given and -test.fuzzminimizetime is not.
func limitFuzzMinimization() {
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["test.fuzz"] || given["test.fuzzminimizetime"] {
		return
	}
	if err := flag.Set("test.fuzzminimizetime", fuzzMinimizeDefault); err != nil {
		panic(err)
	}
}
