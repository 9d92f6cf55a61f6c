package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/fleet"
)

// fleetFlags are corral serve's fleet flags: without --fleet or --nats
// serve starts no NATS at all.
type fleetFlags struct {
	on             bool
	addr           string
	natsURL, creds string
	timeout        time.Duration
}

func (f *fleetFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "fleet", false, "be the hub of a fleet: embed a NATS server (JetStream store in the data directory's nats) that runners dial")
	fs.StringVar(&f.addr, "fleet-addr", fleet.DefaultAddr, "with --fleet, the embedded NATS server's listen `address`")
	fs.StringVar(&f.natsURL, "nats", "", "be the hub on an existing NATS cluster at `URL` instead of embedding one (implies --fleet)")
	fs.StringVar(&f.creds, "nats-creds", "", "with --nats, the hub's credentials `file` (default: the data directory's fleet/hub.creds)")
	fs.DurationVar(&f.timeout, "fleet-timeout", fleet.DefaultHeartbeatTimeout, "mark a runner lost after this long without a heartbeat")
}

// enabled reports whether serve runs as a hub.
func (f *fleetFlags) enabled() bool { return f.on || f.natsURL != "" }

// startFleet starts the hub when the flags ask for one; nil otherwise.
func startFleet(ctx context.Context, f fleetFlags, dataDir string, log *slog.Logger) (*fleet.Hub, error) {
	if !f.enabled() {
		if f.creds != "" {
			return nil, fmt.Errorf("--nats-creds needs --nats")
		}
		return nil, nil
	}
	h, err := fleet.StartHub(ctx, fleet.HubOptions{
		DataDir: dataDir, Addr: f.addr, URL: f.natsURL, Creds: f.creds,
		HeartbeatTimeout: f.timeout, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	log.Info("fleet hub", "nats", h.URL(), "embedded", h.Server() != nil)
	return h, nil
}

// hubFleet adapts the hub to the API's Fleet.
type hubFleet struct{ h *fleet.Hub }

func (f hubFleet) Runners() []api.RunnerInfo {
	rs := f.h.Runners()
	out := make([]api.RunnerInfo, 0, len(rs))
	for _, r := range rs {
		out = append(out, api.RunnerInfo{
			Name: r.Name, Status: string(r.Status), Version: r.Version, Agents: r.Agents,
			Sessions: r.Sessions, Capacity: r.Capacity, CPU: r.CPU, RSS: r.RSS, Load: r.Load,
			Labels: r.Labels, LastSeen: r.LastSeen,
		})
	}
	return out
}

func (f hubFleet) Place(agent, named string) (string, error) { return f.h.Place(agent, named) }
