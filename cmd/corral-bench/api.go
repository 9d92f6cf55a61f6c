package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"time"
)

// apiBenchResult is the report of `corral-bench api --json`.
type apiBenchResult struct {
	Sessions        int     `json:"sessions"`
	LinesPerSecond  int     `json:"linesPerSecond"`
	Clients         int     `json:"clients"`
	DurationSeconds float64 `json:"durationSeconds"`
	CallsPerSecond  int     `json:"callsPerSecondTarget"`

	LinesWritten    int64            `json:"linesExpectedPerClient"`
	Delivered       []int64          `json:"deliveredPerClient"`
	LatencyMs       quantiles        `json:"deliveryLatencyMs"`
	Calls           int64            `json:"calls"`
	CallErrors      int64            `json:"callErrors"`
	CallsPerSecDone float64          `json:"callsPerSecond"`
	CallLatencyMs   quantiles        `json:"listSessionsLatencyMs"`
	Duplicates      int64            `json:"duplicatesOrReordered"`
	Reconnect       *reconnectResult `json:"reconnect,omitempty"`
	// TimerLatenessMs is a control: how late a 1 ms sleep in the
	// benchmark process wakes up, measured during the run. When its tail
	// is as long as the delivery tail, the tail is the machine's.
	TimerLatenessMs quantiles `json:"timerLatenessMs"`
	RSSMaxMB        float64   `json:"rssMaxMB"`
	RSSEndMB        float64   `json:"rssEndMB"`
	RSSIdleMB       float64   `json:"rssIdleMB"`
	CPUSeconds      float64   `json:"serverCpuSeconds"`
}

// reconnectResult is what the client that dropped its connection saw.
type reconnectResult struct {
	Client    int     `json:"client"`
	Replayed  int64   `json:"replayedDeltas"` // deltas received after the reconnect before it caught up
	CatchUpMs float64 `json:"catchUpMs"`      // from the reconnect request to the first delta younger than 20 ms
}

type quantiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
	N   int     `json:"n"`
}

func quantilesOf(ds []time.Duration) quantiles {
	if len(ds) == 0 {
		return quantiles{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	at := func(q float64) float64 { return ms(ds[min(len(ds)-1, int(q*float64(len(ds))))]) }
	return quantiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(ds[len(ds)-1]), N: len(ds)}
}

// apiOptions are the flags of `corral-bench api`.
type apiOptions struct {
	corral      string // the corral executable served
	sessions    int
	rate        int // lines per second per agent
	clients     int
	dur         time.Duration
	callsPerSec int
	asJSON      bool
	keep        bool
}

func runBenchAPI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("api", args, stdout, stderr)
	var o apiOptions
	corral := corralFlag(flags)
	flags.IntVar(&o.sessions, "sessions", 50, "concurrent sessions, each driven by a chatty fake agent")
	flags.IntVar(&o.rate, "rate", 20, "lines per second each agent prints")
	flags.IntVar(&o.clients, "clients", 10, "SSE clients reading every event")
	flags.DurationVar(&o.dur, "duration", 20*time.Second, "how long the agents print")
	flags.IntVar(&o.callsPerSec, "calls", 1000, "ListSessions calls per second during the run")
	flags.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	flags.BoolVar(&o.keep, "keep", false, "keep the temporary data directory")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	var err error
	if o.corral, err = findCorral(*corral); err != nil {
		fmt.Fprintln(stderr, "corral-bench api:", err)
		return 1
	}
	if err := benchAPI(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "corral-bench api:", err)
		return 1
	}
	return 0
}

// benchAPI serves o.corral on a temporary data directory, loads it with
// chatty sessions, SSE clients and calls, and reports what they saw.
func benchAPI(ctx context.Context, o apiOptions, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "corral-bench-api-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	srv, err := startBenchServer(o.corral, dir, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	res := apiBenchResult{Sessions: o.sessions, LinesPerSecond: o.rate, Clients: o.clients, DurationSeconds: o.dur.Seconds(), CallsPerSecond: o.callsPerSec}
	time.Sleep(500 * time.Millisecond)
	idle, _ := procStat(srv.pid)
	res.RSSIdleMB = float64(idle) / (1 << 20)
	ids, err := createSessions(srv, filepath.Join(dir, "work"), o.sessions)
	if err != nil {
		return err
	}

	clients := startSSEClients(ctx, srv, o.clients, o.sessions*o.rate*int(o.dur.Seconds()+1), o.dur, stderr)
	defer clients.stop()
	calls := startCalls(ctx, srv, o.callsPerSec)
	defer calls.stop()
	sampler := startSampling(ctx, srv.pid)
	defer sampler.stop()

	_, cpu0 := procStat(srv.pid)
	_, callWall, err := runChatty(ctx, srv, ids, clients, calls, o.rate, o.dur)
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	_, cpu1 := procStat(srv.pid)
	sampler.stop()
	end, _ := procStat(srv.pid)
	clients.stop()

	res.addClients(clients.stats)
	res.LinesWritten = int64(o.sessions * int(float64(o.rate)*o.dur.Seconds()))
	res.Calls, res.CallErrors = calls.n.Load(), calls.errs.Load()
	res.CallsPerSecDone = float64(res.Calls) / callWall.Seconds()
	res.CallLatencyMs = quantilesOf(calls.lat)
	res.TimerLatenessMs = quantilesOf(sampler.lateness)
	res.RSSMaxMB = float64(sampler.rssMax.Load()) / (1 << 20)
	res.RSSEndMB = float64(end) / (1 << 20)
	res.CPUSeconds = (cpu1 - cpu0).Seconds()
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printAPIResult(stdout, o, res, callWall)
	return nil
}

// createSessions creates n sessions of the fake agent in cwd and returns
// their ids.
func createSessions(srv *benchServer, cwd string, n int) ([]string, error) {
	os.MkdirAll(cwd, 0o700) // error ignored: CreateSession reports a missing cwd
	ids := make([]string, n)
	for i := range ids {
		var s struct {
			ID string `json:"id"`
		}
		if err := srv.call("CreateSession", map[string]any{"agent": "fake", "cwd": cwd}, &s); err != nil {
			return nil, err
		}
		ids[i] = s.ID
	}
	return ids, nil
}

// sendChatty starts a chatty turn (rate lines per second for dur) in
// every session.
// runChatty releases the SSE clients, has the chatty agents print for dur,
// stops the calls a second after, and waits until every turn ended. It
// returns when the load began and how long the calls ran; a cancelled ctx
// ends it early with ctx's error.
func runChatty(ctx context.Context, srv *benchServer, ids []string, clients *sseClients, calls *callLoad, rate int, dur time.Duration) (started time.Time, callWall time.Duration, err error) {
	started = time.Now()
	close(clients.begin)
	if err := sendChatty(srv, ids, rate, dur); err != nil {
		return started, 0, err
	}
	select {
	case <-time.After(dur + time.Second):
	case <-ctx.Done():
		return started, 0, ctx.Err()
	}
	calls.stop()
	callWall = time.Since(started)
	return started, callWall, waitTurnsEnded(srv, 60*time.Second)
}

func sendChatty(srv *benchServer, ids []string, rate int, dur time.Duration) error {
	text := fmt.Sprintf("chatty:%d:%g", rate, dur.Seconds())
	for _, id := range ids {
		if err := srv.call("SendMessage", map[string]any{"sessionId": id, "text": text}, nil); err != nil {
			return err
		}
	}
	return nil
}

// waitTurnsEnded waits, at most limit, until no session is processing (on
// a loaded machine the agents can fall behind their schedule), so that
// "delivered == expected" is a real no-loss check.
func waitTurnsEnded(srv *benchServer, limit time.Duration) error {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var list []struct {
			Status string `json:"status"`
		}
		if err := srv.call("ListSessions", struct{}{}, &list); err != nil {
			return err
		}
		busy := 0
		for _, s := range list {
			if s.Status == "processing" {
				busy++
			}
		}
		if busy == 0 {
			break
		}
	}
	return nil
}

// addClients adds the SSE clients' deliveries, duplicates and latencies to
// res; the reconnecting client's latencies are left out (they include the
// second it was away), its catch-up is reported instead.
func (res *apiBenchResult) addClients(stats []*sseClientStats) {
	var all []time.Duration
	for c, st := range stats {
		res.Delivered = append(res.Delivered, st.delivered)
		res.Duplicates += st.dups
		if st.reconnected {
			res.Reconnect = &reconnectResult{Client: c, Replayed: st.replayed, CatchUpMs: float64(st.caughtUp.Microseconds()) / 1000}
			continue
		}
		all = append(all, st.lat...)
	}
	res.LatencyMs = quantilesOf(all)
}

func printAPIResult(stdout io.Writer, o apiOptions, res apiBenchResult, callWall time.Duration) {
	fmt.Fprintf(stdout, "corral-bench api: %d sessions × %d lines/s for %v, %d SSE clients, %d ListSessions/s (%s/%s, %d cpus)\n",
		o.sessions, o.rate, o.dur, o.clients, o.callsPerSec, goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU())
	fmt.Fprintf(stdout, "delivery latency (agent write → SSE client read), ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (n=%d)\n",
		res.LatencyMs.P50, res.LatencyMs.P90, res.LatencyMs.P99, res.LatencyMs.Max, res.LatencyMs.N)
	fmt.Fprintf(stdout, "deltas delivered per client: %v (expected %d each), duplicates or out of order: %d\n", res.Delivered, res.LinesWritten, res.Duplicates)
	if r := res.Reconnect; r != nil {
		fmt.Fprintf(stdout, "client %d dropped its stream for 1 s halfway: %d deltas replayed on reconnect, caught up with live in %.1f ms\n", r.Client, r.Replayed, r.CatchUpMs)
	}
	fmt.Fprintf(stdout, "ListSessions: %d calls (%.0f/s), %d errors, ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
		res.Calls, res.CallsPerSecDone, res.CallErrors, res.CallLatencyMs.P50, res.CallLatencyMs.P90, res.CallLatencyMs.P99, res.CallLatencyMs.Max)
	fmt.Fprintf(stdout, "control: a 1 ms sleep in the benchmark process woke late by, ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
		res.TimerLatenessMs.P50, res.TimerLatenessMs.P90, res.TimerLatenessMs.P99, res.TimerLatenessMs.Max)
	fmt.Fprintf(stdout, "corral serve RSS: idle %.1f MB, max %.1f MB, end %.1f MB; CPU %.1f s over %.1f s\n",
		res.RSSIdleMB, res.RSSMaxMB, res.RSSEndMB, res.CPUSeconds, callWall.Seconds()+1)
}
