// Command corral-desktop is corral's desktop app: a Wails v2 window showing
// the same frontend as the browser mode, bound to the same facade and fed
// the same events.
//
// Build (Linux needs GTK 3 and WebKitGTK 4.1 development files, see
// scripts/install-desktop-deps.sh; no Wails CLI is needed):
//
//	CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 ./cmd/corral-desktop
//
// Usage:
//
//	corral-desktop [--data DIR] [--config FILE]
//
// The flags mean what they mean for corral. Only one window runs per data
// directory: a second launch with the same data directory brings the first
// window to the front and exits. Closing the window or quitting (Ctrl+Q, the
// menu, SIGINT or SIGTERM) stops every managed process tree, first gently
// then by force, and flushes the store before the process exits.
//
// Without the desktop build tag the command only explains how to build it,
// so `go build ./...` and `go vet ./...` work without cgo or GTK.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/corral-dev/corral/config"
)

// options are the command-line settings, the same --data and --config as
// the corral command.
type options struct {
	Config string // the TOML configuration file ("" = config.DefaultPath, if it exists)
	Data   string // the data directory, absolute
}

// parseFlags parses the command line. Unknown flags and positional
// arguments are errors; -h prints the usage and returns flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("corral-desktop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Config, "config", "", "configuration `file` (default: the user config dir's corral/config.toml)")
	fs.StringVar(&o.Data, "data", "", "data `directory` holding corral.db (default: the user data dir's corral)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: corral-desktop [--data DIR] [--config FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.Data == "" {
		d, err := config.DefaultDataDir()
		if err != nil {
			return o, fmt.Errorf("no --data given and no user data directory: %w", err)
		}
		o.Data = d
	}
	abs, err := filepath.Abs(o.Data)
	if err != nil {
		return o, err
	}
	o.Data = abs
	if o.Config != "" {
		if o.Config, err = filepath.Abs(o.Config); err != nil {
			return o, err
		}
	}
	return o, nil
}

// exitCode maps a start-up error to the process exit code: 0 for -h, 2 for
// usage errors, 1 otherwise.
func exitCode(err error, usage bool) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case usage:
		return 2
	default:
		return 1
	}
}
