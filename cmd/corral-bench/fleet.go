package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// fleetOptions are the flags of `corral-bench fleet`.
type fleetOptions struct {
	corral      string
	runners     int // runner processes; 0 with --local
	perRunner   int // sessions per runner (with --local the same total on one corral)
	rate        int // lines per second per agent
	clients     int
	dur         time.Duration
	callsPerSec int
	heartbeat   time.Duration
	idle        time.Duration // how long the hub's idle cost is measured, before and after the runners join
	local       bool
	rounds      int // > 0: that many fleet and local runs, alternating
	asJSON      bool
	keep        bool
}

// sessions is the total number of chatty sessions of a run.
func (o fleetOptions) sessions() int { return o.runners * o.perRunner }

// parseFleetArgs reads the flags of `corral-bench fleet`; ok is false when
// the command should exit with code instead of running.
func parseFleetArgs(args []string, stdout, stderr io.Writer) (o fleetOptions, code int, ok bool) {
	flags := newFlagSet("fleet", args, stdout, stderr)
	corral := corralFlag(flags)
	flags.IntVar(&o.runners, "runners", 3, "corral runner processes, each with its own HOME and data directory")
	flags.IntVar(&o.perRunner, "sessions", 20, "chatty sessions per runner")
	flags.IntVar(&o.rate, "rate", 20, "lines per second each agent prints")
	flags.IntVar(&o.clients, "clients", 10, "SSE clients on the hub reading every event")
	flags.DurationVar(&o.dur, "duration", 15*time.Second, "how long the agents print")
	flags.IntVar(&o.callsPerSec, "calls", 0, "ListSessions calls per second on the hub during the run")
	flags.DurationVar(&o.heartbeat, "heartbeat", 5*time.Second, "the runners' heartbeat interval")
	flags.DurationVar(&o.idle, "idle", 5*time.Second, "how long the hub's idle CPU is measured without and with the runners")
	flags.BoolVar(&o.local, "local", false, "the same load (runners × sessions) on one corral serve, no fleet")
	flags.IntVar(&o.rounds, "rounds", 0, "run fleet and --local alternately this many times each and compare them (0: one run)")
	flags.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	flags.BoolVar(&o.keep, "keep", false, "keep the temporary directories")
	if code, ok := parseFlags(flags, args); !ok {
		return o, code, false
	}
	switch {
	case o.runners < 1 || o.perRunner < 1 || o.rate < 1 || o.clients < 1:
		fmt.Fprintln(stderr, "corral-bench fleet: --runners, --sessions, --rate and --clients must be at least 1")
		return o, 2, false
	case o.dur < time.Second || o.heartbeat <= 0 || o.idle < 0 || o.callsPerSec < 0 || o.rounds < 0:
		fmt.Fprintln(stderr, "corral-bench fleet: --duration must be at least 1s, --heartbeat positive, --idle, --calls and --rounds not negative")
		return o, 2, false
	case o.rounds > 0 && o.local:
		fmt.Fprintln(stderr, "corral-bench fleet: --rounds runs both modes; drop --local")
		return o, 2, false
	}
	o.corral = *corral
	return o, 0, true
}

func runBenchFleet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, code, ok := parseFleetArgs(args, stdout, stderr)
	if !ok {
		return code
	}
	var err error
	if o.corral, err = findCorral(o.corral); err != nil {
		fmt.Fprintln(stderr, "corral-bench fleet:", err)
		return 1
	}
	// Stopped by a signal, the runs still stop what they started.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var results []fleetBenchResult
	for _, local := range fleetRunModes(o) {
		oo := o
		oo.local = local
		res, err := benchFleet(ctx, oo, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "corral-bench fleet:", err)
			return 1
		}
		results = append(results, res)
		if !o.asJSON {
			printFleetResult(stdout, res)
			if n := len(results); local && n >= 2 && results[n-2].Mode == "fleet" {
				printOverhead(stdout, results[n-2], res)
			}
			fmt.Fprintln(stdout)
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(results) // error ignored: stdout
	}
	return 0
}

// fleetRunModes is the order of the runs: with rounds, fleet then local,
// rounds times (alternating, so that both see the same minutes of the
// machine); without, the one mode asked for.
func fleetRunModes(o fleetOptions) []bool {
	if o.rounds == 0 {
		return []bool{o.local}
	}
	var modes []bool
	for i := 0; i < o.rounds; i++ {
		modes = append(modes, false, true)
	}
	return modes
}

// benchFleet runs one fleet (or, with o.local, one local) load and returns
// what it measured. Every process it starts is stopped before it returns,
// also on error.
func benchFleet(ctx context.Context, o fleetOptions, stderr io.Writer) (res fleetBenchResult, err error) {
	dir, err := os.MkdirTemp("", "corral-bench-fleet-")
	if err != nil {
		return res, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	res = fleetBenchResult{Mode: "fleet", Runners: o.runners, Sessions: o.sessions(), LinesPerSecond: o.rate,
		Clients: o.clients, DurationSeconds: o.dur.Seconds(), CallsPerSecond: o.callsPerSec, HeartbeatSeconds: o.heartbeat.Seconds()}
	hubDir := filepath.Join(dir, "hub")
	os.MkdirAll(hubDir, 0o700) // error ignored: the server reports a missing directory
	var extra []string
	if o.local {
		res.Mode, res.Runners = "local", 0
	} else {
		extra = []string{"--fleet", "--fleet-addr", "127.0.0.1:0"}
	}
	srv, err := startBenchServerEnv(o.corral, hubDir, []string{"HOME=" + hubDir}, stderr, extra...)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	time.Sleep(500 * time.Millisecond)
	res.Hub.RSSIdleMB = rssMB(srv.pid)
	res.Hub.IdleCPUms = idleCPU(ctx, srv.pid, o.idle)
	var runners []*benchRunner
	defer func() {
		for _, r := range runners {
			if e := r.stop(); e != nil && err == nil {
				err = e
			}
		}
	}()
	if !o.local {
		if runners, err = startFleetRunners(o, srv, hubDir, dir); err != nil {
			return res, err
		}
		res.Hub.RSSRunnersMB = rssMB(srv.pid)
		res.Hub.IdleRunnersCPUms = idleCPU(ctx, srv.pid, o.idle)
	}
	ids, err := createFleetSessions(srv, o, runners, filepath.Join(dir, "work"))
	if err != nil {
		return res, err
	}
	time.Sleep(500 * time.Millisecond)
	res.Hub.RSSSessionsMB = rssMB(srv.pid)
	data, nats := filepath.Join(hubDir, "data"), filepath.Join(hubDir, "data", "nats", "jetstream")
	js0, data0 := dirBytes(nats), dirBytes(data)
	if err := runFleetLoad(ctx, o, srv, runners, ids, &res, stderr); err != nil {
		return res, err
	}
	res.JetStreamBytes = dirBytes(nats) - js0
	res.StoreBytes = dirBytes(data) - data0 - res.JetStreamBytes
	if res.EventsPerClient > 0 {
		res.JetStreamBytesPerEvent = float64(res.JetStreamBytes) / float64(res.EventsPerClient)
		res.StoreBytesPerEvent = float64(res.StoreBytes) / float64(res.EventsPerClient)
	}
	return res, nil
}

// startFleetRunners starts o.runners runners (r1, r2, …) under dir and
// waits until the hub has them all online. On error the ones started are
// stopped.
func startFleetRunners(o fleetOptions, srv *benchServer, hubDir, dir string) ([]*benchRunner, error) {
	url, err := hubNATSURL(filepath.Join(hubDir, "data"), 20*time.Second)
	if err != nil {
		return nil, err
	}
	var runners []*benchRunner
	var names []string
	for i := 1; i <= o.runners; i++ {
		name := fmt.Sprintf("r%d", i)
		r, err := startBenchRunner(o.corral, dir, name, filepath.Join(hubDir, "data"), url, o.heartbeat)
		if err != nil {
			stopRunners(runners)
			return nil, err
		}
		runners, names = append(runners, r), append(names, name)
	}
	if err := awaitRunnersOnline(srv, names, 60*time.Second); err != nil {
		stopRunners(runners)
		return nil, err
	}
	time.Sleep(500 * time.Millisecond)
	return runners, nil
}

func stopRunners(rs []*benchRunner) {
	for _, r := range rs {
		r.stop() // error ignored: already failing
	}
}

// createFleetSessions creates o.perRunner sessions of the fake agent on
// each runner through the hub (CreateSession with runner), or, locally,
// o.sessions() on the server itself in cwd.
func createFleetSessions(srv *benchServer, o fleetOptions, runners []*benchRunner, cwd string) ([]string, error) {
	if o.local {
		return createSessions(srv, cwd, o.sessions())
	}
	var ids []string
	for _, r := range runners {
		for i := 0; i < o.perRunner; i++ {
			var s struct {
				ID string `json:"id"`
			}
			params := map[string]any{"agent": "fake", "cwd": filepath.Join(r.home, "work"), "runner": r.name}
			if err := srv.call("CreateSession", params, &s); err != nil {
				return nil, err
			}
			ids = append(ids, s.ID)
		}
	}
	return ids, nil
}

// runFleetLoad connects the SSE clients, starts the chatty turns and
// records, into res, what the clients saw and what the processes cost.
func runFleetLoad(ctx context.Context, o fleetOptions, srv *benchServer, runners []*benchRunner, ids []string, res *fleetBenchResult, stderr io.Writer) error {
	clients := startSSEClients(ctx, srv, o.clients, o.sessions()*o.rate*int(o.dur.Seconds()+1), o.dur, stderr)
	defer clients.stop()
	calls := startCalls(ctx, srv, o.callsPerSec)
	defer calls.stop()
	hubSampler := startSampling(ctx, srv.pid)
	defer hubSampler.stop()
	runSamplers := make([]*sampler, len(runners))
	for i, r := range runners {
		runSamplers[i] = startSampling(ctx, r.pid)
		defer runSamplers[i].stop()
	}
	_, hubCPU0 := procStat(srv.pid)
	runCPU0 := make([]time.Duration, len(runners))
	for i, r := range runners {
		_, runCPU0[i] = procStat(r.pid)
	}
	started, _, err := runChatty(ctx, srv, ids, clients, calls, o.rate, o.dur)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	wall := time.Since(started)
	res.Hub.fill(srv.pid, hubCPU0, wall, hubSampler)
	for i, r := range runners {
		var p procFigures
		p.Name = r.name
		p.fill(r.pid, runCPU0[i], wall, runSamplers[i])
		res.RunnerProcs = append(res.RunnerProcs, p)
	}
	clients.stop()
	res.LinesExpected = int64(o.sessions() * int(float64(o.rate)*o.dur.Seconds()))
	res.addClients(clients.stats, started)
	res.Calls, res.CallErrors = calls.n.Load(), calls.errs.Load()
	res.TimerLatenessMs = quantilesOf(hubSampler.lateness)
	return nil
}

// idleCPU is the CPU milliseconds pid spends over d.
func idleCPU(ctx context.Context, pid int, d time.Duration) float64 {
	_, c0 := procStat(pid)
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	_, c1 := procStat(pid)
	return float64((c1 - c0).Milliseconds())
}

func rssMB(pid int) float64 {
	r, _ := procStat(pid)
	return float64(r) / (1 << 20)
}
