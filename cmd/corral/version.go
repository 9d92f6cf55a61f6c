package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// buildInfo returns version, commit and build date, filling what the linker
// did not set from the module and VCS information Go records in the binary.
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return v, c, d
}

func init() {
	register("version", &command{
		Summary: "print version, commit and build date",
		Run: func(_ context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
			fs := newFlagSet("version", g, stderr)
			if code, ok := parseFlags(fs, args); !ok {
				return code
			}
			v, c, d := buildInfo()
			fmt.Fprintf(stdout, "corral %s\ncommit %s\nbuilt %s\n%s %s/%s\n", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return 0
		},
	})
}
