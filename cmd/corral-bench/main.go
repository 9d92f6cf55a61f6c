// Command corral-bench runs corral's benchmarks (docs/benchmarks.md). It is
// not part of the shipped corral binary: it links the test doubles
// (internal/fakeagent) and the stream benchmark harness
// (stream/streambench), which corral must not.
//
// Usage:
//
//	corral-bench api [--corral PATH] [flags]       browser-mode API under load
//	corral-bench fleet [--corral PATH] [flags]     a hub and runners against one corral
//	corral-bench run-json [--corral PATH] [flags]  corral run --json end to end
//	corral-bench slowbody [--corral PATH] [flags]  slow-body flood of corral serve (Linux)
//	corral-bench stream [flags]                    the output pipeline, in process
//
// The benchmarks that measure the corral binary take it from --corral; the
// default is the corral executable in the directory of corral-bench itself,
// so that building both into one directory is all the setup:
//
//	go build -o /tmp/bench/ ./cmd/corral ./cmd/corral-bench
//	/tmp/bench/corral-bench api
//
// corral-bench is also the benchmark's fake agent: the configuration it
// gives corral serve names corral-bench itself as agent "fake" with
// CORRAL_FAKEAGENT=1 in its environment, and main checks that variable
// before anything else and then speaks only the agent protocol
// (internal/fakeagent).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/corral-dev/corral/internal/fakeagent"
)

// A bench is one subcommand. Run returns the process exit code.
type bench struct {
	Summary string
	Run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// benches are the subcommands; the OS-specific ones add themselves in
// their files' init (registration only: nothing there runs a benchmark or
// exits).
var benches = map[string]*bench{
	"api":      {Summary: "browser-mode API under load: chatty sessions, SSE clients and calls", Run: runBenchAPI},
	"fleet":    {Summary: "a hub and runners as processes: chatty sessions on the runners read by the hub's SSE clients, beside the same load on one corral", Run: runBenchFleet},
	"run-json": {Summary: "corral run --json -- cat of a 300,000-line JSONL corpus, read end to end, beside the byte pass-through and a Node baseline", Run: runBenchRunJSON},
	"stream":   {Summary: "output pipeline: cat of a 1M-line JSONL corpus -> proc -> framed -> decoded, beside raw reading and a Node baseline", Run: runBenchStream},
}

func main() {
	// The role check comes first: re-executed as the fake agent (see the
	// package comment), this process is the agent and nothing else.
	if fakeagent.Enabled() {
		os.Exit(fakeagent.Main(os.Stdin, os.Stdout))
	}
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// runMain runs the command line args: `corral-bench NAME [flags]`; with no
// name, -h, --help or help it lists the benchmarks.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelpFlag(args[0]) || args[0] == "help" {
		out, code := stderr, 2
		if len(args) > 0 {
			out, code = stdout, 0
		}
		usage(out)
		return code
	}
	b, ok := benches[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "corral-bench: unknown benchmark %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return b.Run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: corral-bench NAME [flags]\n\nbenchmarks:")
	names := make([]string, 0, len(benches))
	for n := range benches {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, benches[n].Summary)
	}
	fmt.Fprintln(w, "\nRun 'corral-bench NAME --help' for the flags of a benchmark; --corral PATH (where a\nbenchmark takes it) is the corral measured, by default the one beside corral-bench.")
}

// isHelpFlag reports -h, -help and --help.
func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// newFlagSet returns the flag set of benchmark name, printing its usage
// to stdout when help is asked for (help is output, not an error) and to
// stderr otherwise.
func newFlagSet(name string, args []string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("corral-bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, a := range args {
		if a == "--" {
			break
		}
		if isHelpFlag(a) {
			fs.SetOutput(stdout)
		}
	}
	return fs
}

// corralFlag adds --corral to fs.
func corralFlag(fs *flag.FlagSet) *string {
	return fs.String("corral", "", "the corral `executable` measured (default: corral beside corral-bench)")
}

// parseFlags parses args into fs. When it returns false the command must
// exit with code: 0 after -h or --help (the usage was printed), 2 after a
// bad flag (the error and the usage were printed).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	default:
		return 2, false
	}
}

// ErrNoCorral is returned by findCorral when the corral executable to
// measure is not where it was looked for.
var ErrNoCorral = errors.New("no corral executable")

// findCorral returns the absolute path of the corral executable to
// measure: flagValue when set, else defaultCorral of this executable. It
// does not build anything; a missing file is ErrNoCorral, with the way to
// get one.
func findCorral(flagValue string) (string, error) {
	path := flagValue
	if path == "" {
		self, err := os.Executable()
		if err != nil {
			return "", err
		}
		path = defaultCorral(self, runtime.GOOS)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		how := "pass --corral PATH"
		if flagValue == "" {
			how = "build both into one directory (go build -o DIR/ ./cmd/corral ./cmd/corral-bench) or pass --corral PATH"
		}
		return "", fmt.Errorf("%w at %s: %s", ErrNoCorral, abs, how)
	}
	return abs, nil
}

// defaultCorral is where corral-bench at self looks for corral by default:
// the same directory, with the executable suffix of goos.
func defaultCorral(self, goos string) string {
	name := "corral"
	if goos == "windows" {
		name += ".exe"
	}
	return filepath.Join(filepath.Dir(self), name)
}

// selfExe returns this executable's path: the fake agent of the
// configuration corral-bench gives corral serve.
func selfExe() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Abs(exe)
}
