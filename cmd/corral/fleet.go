package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/fleet"
)

func init() {
	register("fleet", &command{
		Summary: "manage the fleet's runner credentials: fleet add NAME [--out FILE], fleet remove NAME, fleet ls, fleet nats-config",
		Run:     runFleet,
	})
}

func fleetUsage(w io.Writer) {
	fmt.Fprintln(w, `usage: corral fleet add NAME [--out FILE]   issue runner NAME's credentials (a NATS .creds file)
       corral fleet remove NAME             revoke them: a running hub disconnects the runner at once
       corral fleet ls                      list the runners holding credentials
       corral fleet nats-config [--resolver-dir DIR]
                                            print the nats-server settings that trust these credentials (for --nats)
flags: --data DIR, --config FILE (the hub's)`)
}

func runFleet(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || isHelpFlag(args[0]) {
		fleetUsage(g.usageOut(stderr))
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("fleet "+sub, g, stderr)
	out := fs.String("out", "", "with add, write the credentials to `file` (mode 0600) instead of stdout")
	resolverDir := fs.String("resolver-dir", "/var/lib/nats/jwt", "with nats-config, the `directory` where the server keeps account updates")
	fs.Usage = func() { fleetUsage(fs.Output()) }
	var pos []string // NAME may stand before or after the flags
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	want := map[string]int{"add": 1, "remove": 1, "ls": 0, "nats-config": 0}
	n, known := want[sub]
	if !known || len(pos) != n {
		fleetUsage(stderr)
		return 2
	}
	dataDir := g.Data
	if dataDir == "" {
		d, err := config.DefaultDataDir()
		if err != nil {
			fmt.Fprintln(stderr, "corral: no data directory:", err)
			return 1
		}
		dataDir = d
	}
	kr, err := fleet.OpenKeyring(filepath.Join(dataDir, "fleet"))
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		return 1
	}
	switch sub {
	case "add":
		err = fleetAdd(kr, pos[0], *out, stdout, stderr)
	case "remove":
		err = fleetRemove(ctx, kr, pos[0], stdout)
	case "nats-config":
		fmt.Fprint(stdout, kr.ServerConfig(*resolverDir))
	default:
		fleetList(kr, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		var bad *fleet.ErrInvalidName
		if errors.As(err, &bad) {
			return 2
		}
		return 1
	}
	return 0
}

func fleetAdd(kr *fleet.Keyring, name, out string, stdout, stderr io.Writer) error {
	creds, err := kr.AddRunner(name)
	if err != nil {
		return err
	}
	if out == "" {
		_, err := stdout.Write(creds)
		return err
	}
	if err := os.WriteFile(out, creds, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "runner %s's credentials are in %s; on that machine: corral runner --hub nats://HUB:4222 --creds %s\n", name, out, filepath.Base(out))
	return nil
}

func fleetRemove(ctx context.Context, kr *fleet.Keyring, name string, stdout io.Writer) error {
	url := fleet.RunningHubURL(kr)
	if err := fleet.RemoveRunner(ctx, kr, name, url); err != nil {
		return err
	}
	if url == "" {
		fmt.Fprintf(stdout, "runner %s removed; no hub is running, the revocation applies when it starts\n", name)
	} else {
		fmt.Fprintf(stdout, "runner %s removed and disconnected\n", name)
	}
	return nil
}

func fleetList(kr *fleet.Keyring, stdout io.Writer) {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tISSUED\tPUBLIC KEY")
	for _, c := range kr.Runners() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Issued.Local().Format(time.DateTime), c.PublicKey)
	}
	tw.Flush()
}
