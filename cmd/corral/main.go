// Command corral runs, streams and supervises command-line programs — above
// all AI coding-agent CLIs — for a browser or desktop UI.
//
// Usage:
//
//	corral [serve] [--addr ADDR] [--no-open]   start the server and open the UI
//	corral run [flags] -- CMD ARGS...          run one command, stream its output
//	corral ps                                  list managed processes
//	corral doctor [--json]                     check agents, store, leftovers
//	corral policy check --capability NAME -- ARGS...
//	corral bench ...                           run the benchmarks
//	corral version
//
// --config FILE and --data DIR work with every subcommand.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// globals are the flags every subcommand accepts.
type globals struct {
	Config string // --config: the TOML configuration file
	Data   string // --data: the data directory
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.Config, "config", "", "configuration `file` (default: the user config dir's corral/config.toml)")
	fs.StringVar(&g.Data, "data", "", "data `directory` holding corral.db and serve.json (default: the user data dir's corral)")
}

// A command is one subcommand. Run returns the process exit code.
type command struct {
	Summary string
	Run     func(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(name string, c *command) { commands[name] = c }

func main() {
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	switch name {
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "corral: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	var g globals
	return c.Run(ctx, &g, args, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: corral [command] [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w, "\nEvery command accepts --config FILE and --data DIR. Run 'corral COMMAND -h' for its flags.")
}

// newFlagSet returns a flag set for a subcommand with the global flags on it.
func newFlagSet(name string, g *globals, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("corral "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	return fs
}
