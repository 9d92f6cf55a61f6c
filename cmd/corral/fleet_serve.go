package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/fleet"
	"github.com/corral-dev/corral/fleet/relay"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
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
// onChange hears of each runner status change.
func startFleet(ctx context.Context, f fleetFlags, dataDir string, log *slog.Logger, onChange func(fleet.Change)) (*fleet.Hub, error) {
	if !f.enabled() {
		if f.creds != "" {
			return nil, fmt.Errorf("--nats-creds needs --nats")
		}
		return nil, nil
	}
	h, err := fleet.StartHub(ctx, fleet.HubOptions{
		DataDir: dataDir, Addr: f.addr, URL: f.natsURL, Creds: f.creds,
		HeartbeatTimeout: f.timeout, Logger: log, OnChange: onChange,
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

// startHubRelay starts the hub's side of the relay over rt: the consumer
// that commits the runners' events into rt's store (and so its bus and
// SSE streams), presence (the disconnected status of a lost runner's
// sessions, taken back when it returns), and the API options that route
// every method of a runner-owned session to its runner and create
// sessions on runners. stop must run before rt closes.
func startHubRelay(ctx context.Context, hub *fleet.Hub, rt *session.Runtime, presence *relay.Presence, log *slog.Logger) (stop func(), opts []api.Option, err error) {
	logf := func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) }
	cons, err := relay.StartConsumer(ctx, relay.ConsumerOptions{
		Store: rt.Store, JS: hub.JetStream(),
		OnGap: func(runner string, g store.Gap) {
			log.Warn("fleet: a runner no longer had events of a session", "runner", runner, "session", g.Session, "from", g.From, "to", g.To)
		},
		Logf: logf,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("fleet relay: %w", err)
	}
	client := relay.NewClient(hub.Conn(), 0)
	presence.Start(client)
	router := relay.HubRouter{Store: rt.Store, Client: client}
	stop = func() {
		presence.Close()
		cons.Close()
	}
	return stop, []api.Option{api.WithFleet(hubFleet{hub}), api.WithRouter(router), api.WithSessionRouter(router.Create)}, nil
}
