// Command corral runs, streams and supervises command-line programs — above
// all AI coding-agent CLIs — for a browser or desktop UI.
//
// Usage:
//
//	corral [serve] [--addr ADDR] [--no-open] [--token-file FILE] [--rotate-token]
//	                                           start the server and open the UI
//	corral run [flags] -- CMD ARGS...          run one command, stream its output
//	corral ps                                  list managed processes
//	corral doctor [--json]                     check agents, store, leftovers
//	corral export SESSION_ID [--format markdown|jsonl] [--out FILE]
//	                                           write a session's transcript or events
//	corral policy check --capability NAME -- ARGS...
//	corral version
//
// --config FILE and --data DIR work with every subcommand; corral --help
// lists the commands, corral COMMAND --help a command's flags.
//
// The benchmarks are a separate command, cmd/corral-bench: corral links no
// test double or benchmark harness (shipped_test.go checks it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/corral-dev/corral/supervise"
)

// globals are the flags every subcommand accepts.
type globals struct {
	Config string // --config: the TOML configuration file
	Data   string // --data: the data directory

	// help, when set, receives the usage of a command run with -h or
	// --help (stdout: asked-for help is output, not an error).
	help io.Writer
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.Config, "config", "", "configuration `file` (default: the user config dir's corral/config.toml)")
	fs.StringVar(&g.Data, "data", "", "data `directory` holding corral.db, serve.json, the token and the lock (default: the user data dir's corral)")
}

// usageOut is where a command prints its usage: stdout when help was asked
// for, else stderr.
func (g *globals) usageOut(stderr io.Writer) io.Writer {
	if g.help != nil {
		return g.help
	}
	return stderr
}

// A command is one subcommand. Run returns the process exit code.
type command struct {
	Summary string
	Run     func(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(name string, c *command) { commands[name] = c }

func main() {
	// The role check comes first: the supervisor re-executes corral with
	// this hidden argument as its watchdog, which kills corral's process
	// trees if corral itself is killed; that process does nothing else (it
	// is told which groups to kill on its stdin). No init function exits.
	if len(os.Args) > 1 && os.Args[1] == supervise.WatchdogArg {
		os.Exit(supervise.RunWatchdog(os.Stdin))
	}
	os.Exit(runMain(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// runMain runs the command line args. `corral --help`, `-h` and `help`
// print the commands and exit 0; `corral CMD --help` and `corral help CMD`
// print CMD's flags and exit 0; with no command (or only flags), the
// command is serve.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (isHelpFlag(args[0]) || args[0] == "help") {
		if args[0] == "help" && len(args) > 1 {
			args = []string{args[1], "-h"} // corral help CMD
		} else {
			usage(stdout)
			return 0
		}
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "corral: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}
	var g globals
	if wantsHelp(args) {
		g.help = stdout
	}
	return c.Run(ctx, &g, args, stdout, stderr)
}

// isHelpFlag reports -h, -help and --help.
func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// wantsHelp reports a help flag among args before a "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: corral [command] [flags]\n\nWith no command, corral serves the browser UI (corral serve).\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w, "\nflags of every command:")
	fs := flag.NewFlagSet("corral", flag.ContinueOnError)
	new(globals).register(fs)
	fs.VisitAll(func(f *flag.Flag) {
		arg, help := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%-18s %s\n", f.Name+" "+strings.ToUpper(arg), help)
	})
	fmt.Fprintln(w, "\nRun 'corral COMMAND --help' for the flags of a command.")
}

// newFlagSet returns a flag set for a subcommand with the global flags on it.
func newFlagSet(name string, g *globals, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("corral "+name, flag.ContinueOnError)
	fs.SetOutput(g.usageOut(stderr))
	g.register(fs)
	return fs
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
