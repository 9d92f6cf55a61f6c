package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/internal/fakeagent"
)

func init() {
	// corral re-executed as the fake agent of the benchmark (and of tests
	// that drive the real binary): speak the agent protocol and nothing else.
	if fakeagent.Enabled() {
		os.Exit(fakeagent.Main(os.Stdin, os.Stdout))
	}
	if _, ok := commands["bench"]; !ok {
		register("bench", &command{Summary: "run a benchmark: corral bench NAME (api, ...)", Run: runBench})
	}
	registerBench("api", "browser-mode API under load: chatty sessions, SSE clients and calls", runBenchAPI)
}

// benches are the benchmarks `corral bench NAME` runs.
var benches = map[string]*command{}

func registerBench(name, summary string, run func(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int) {
	benches[name] = &command{Summary: summary, Run: run}
}

func runBench(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		stderr := g.usageOut(stderr)
		fmt.Fprintln(stderr, "usage: corral bench NAME [flags]\n\nbenchmarks:")
		names := make([]string, 0, len(benches))
		for n := range benches {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stderr, "  %-8s %s\n", n, benches[n].Summary)
		}
		if len(args) > 0 && isHelpFlag(args[0]) {
			return 0
		}
		return 2
	}
	b, ok := benches[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "corral bench: unknown benchmark %q\n", args[0])
		return 2
	}
	return b.Run(ctx, g, args[1:], stdout, stderr)
}

// apiBenchResult is the report of `corral bench api --json`.
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

// sseClientStats is one benchmark SSE client's view.
type sseClientStats struct {
	lat         []time.Duration
	delivered   int64
	dups        int64
	lastID      int64
	reconnected bool
	reconnectAt time.Time
	replayed    int64
	caughtUp    time.Duration
}

// read reads the event stream (resuming after lastID) until ctx ends or the
// stream breaks; ready, if not nil, is signalled once connected.
func (st *sseClientStats) read(ctx context.Context, srv *benchServer, ready chan<- struct{}, stderr io.Writer) {
	signal := func() {
		if ready != nil {
			ready <- struct{}{}
			ready = nil
		}
	}
	defer signal()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.url+"/api/events?since=0", nil)
	req.Header.Set("Authorization", "Bearer "+srv.token)
	if st.lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(st.lastID, 10))
	}
	resp, err := srv.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintln(stderr, "client:", err)
		}
		return
	}
	defer resp.Body.Close()
	signal()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	marker := []byte(`"text":"t=`)
	// A frame counts once it is complete (its blank line), like an
	// EventSource dispatches it: a frame cut by a disconnect is resumed,
	// not lost, because Last-Event-ID is the last complete frame's id.
	var pendingID int64
	var pendingLat time.Duration
	var pendingAt time.Time
	havePending, pendingData := false, false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case len(line) == 1: // the blank line ending a frame
			if pendingID > 0 {
				// A frame with an id but no data is the server telling a
				// resuming client its resume point: the same id again, not
				// a repeated event.
				if pendingData && pendingID <= st.lastID {
					st.dups++
				}
				st.lastID = pendingID
			}
			if havePending {
				st.lat = append(st.lat, pendingLat)
				st.delivered++
				if st.reconnected && st.caughtUp == 0 {
					if pendingLat < 20*time.Millisecond {
						st.caughtUp = pendingAt.Sub(st.reconnectAt)
					} else {
						st.replayed++
					}
				}
			}
			pendingID, havePending, pendingData = 0, false, false
		case bytes.HasPrefix(line, []byte("id: ")):
			pendingID, _ = strconv.ParseInt(string(bytes.TrimSpace(line[4:])), 10, 64)
		case bytes.HasPrefix(line, []byte("data: ")):
			pendingData = true
			i := bytes.Index(line, marker)
			if i < 0 || !bytes.Contains(line, []byte(`"delta":true`)) {
				continue
			}
			now := time.Now()
			rest := line[i+len(marker):]
			j := bytes.IndexByte(rest, ';')
			if j < 0 {
				continue
			}
			t, err := strconv.ParseInt(string(rest[:j]), 10, 64)
			if err != nil {
				continue
			}
			pendingLat, pendingAt, havePending = time.Duration(now.UnixNano()-t), now, true
		}
	}
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

func runBenchAPI(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("corral bench api", flag.ContinueOnError)
	flags.SetOutput(g.usageOut(stderr))
	sessions := flags.Int("sessions", 50, "concurrent sessions, each driven by a chatty fake agent")
	rate := flags.Int("rate", 20, "lines per second each agent prints")
	clients := flags.Int("clients", 10, "SSE clients reading every event")
	dur := flags.Duration("duration", 20*time.Second, "how long the agents print")
	calls := flags.Int("calls", 1000, "ListSessions calls per second during the run")
	asJSON := flags.Bool("json", false, "print the result as JSON")
	keep := flags.Bool("keep", false, "keep the temporary data directory")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	if err := benchAPI(ctx, *sessions, *rate, *clients, *dur, *calls, *asJSON, *keep, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "corral bench api:", err)
		return 1
	}
	return 0
}

func benchAPI(ctx context.Context, nSess, rate, nClients int, dur time.Duration, callsPerSec int, asJSON, keep bool, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "corral-bench-api-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	srv, err := startBenchServer(dir, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	res := apiBenchResult{Sessions: nSess, LinesPerSecond: rate, Clients: nClients, DurationSeconds: dur.Seconds(), CallsPerSecond: callsPerSec}
	time.Sleep(500 * time.Millisecond)
	idle, _ := procStat(srv.pid)
	res.RSSIdleMB = float64(idle) / (1 << 20)

	cwd := filepath.Join(dir, "work")
	os.MkdirAll(cwd, 0o700) //nolint:errcheck // CreateSession reports a missing cwd
	ids := make([]string, nSess)
	for i := range ids {
		var s struct {
			ID string `json:"id"`
		}
		if err := srv.call("CreateSession", map[string]any{"agent": "fake", "cwd": cwd}, &s); err != nil {
			return err
		}
		ids[i] = s.ID
	}

	// SSE clients: every event of every session; the latency of each
	// chatty delta is its receipt time minus the time the agent stamped
	// into it just before writing the line. The last client drops its
	// connection halfway through for a second and resumes with
	// Last-Event-ID: it must still get every event exactly once.
	sctx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	var wg sync.WaitGroup
	stats := make([]*sseClientStats, nClients)
	ready := make(chan struct{}, nClients)
	begin := make(chan struct{})
	for c := 0; c < nClients; c++ {
		stats[c] = &sseClientStats{lat: make([]time.Duration, 0, nSess*rate*int(dur.Seconds()+1))}
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			st := stats[c]
			if c < nClients-1 || nClients == 1 {
				st.read(sctx, srv, ready, stderr)
				return
			}
			// The reconnecting client.
			first, cut := context.WithCancel(sctx)
			go func() {
				select {
				case <-begin:
				case <-sctx.Done():
					return
				}
				select {
				case <-time.After(dur / 2):
				case <-sctx.Done():
				}
				cut()
			}()
			st.read(first, srv, ready, stderr)
			cut()
			if sctx.Err() != nil {
				return
			}
			select {
			case <-time.After(time.Second):
			case <-sctx.Done():
				return
			}
			st.reconnectAt = time.Now()
			st.reconnected = true
			st.read(sctx, srv, nil, stderr)
		}(c)
	}
	for c := 0; c < nClients; c++ {
		<-ready
	}

	// Calls: ListSessions at callsPerSec, spread over workers.
	var callLat []time.Duration
	var callMu sync.Mutex
	var nCalls, nErr atomic.Int64
	cctx, stopCalls := context.WithCancel(ctx)
	defer stopCalls()
	workers := 32
	var cwg sync.WaitGroup
	if callsPerSec > 0 {
		interval := time.Duration(int64(time.Second) * int64(workers) / int64(callsPerSec))
		for w := 0; w < workers; w++ {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				t := time.NewTicker(interval)
				defer t.Stop()
				local := make([]time.Duration, 0, 1024)
				for {
					select {
					case <-cctx.Done():
						callMu.Lock()
						callLat = append(callLat, local...)
						callMu.Unlock()
						return
					case <-t.C:
						start := time.Now()
						err := srv.call("ListSessions", struct{}{}, nil)
						local = append(local, time.Since(start))
						nCalls.Add(1)
						if err != nil {
							nErr.Add(1)
						}
					}
				}
			}()
		}
	}

	// Resource sampling of the server process.
	var rssMax atomic.Int64
	rctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				if r, _ := procStat(srv.pid); r > rssMax.Load() {
					rssMax.Store(r)
				}
			}
		}
	}()

	// The control: scheduling delay seen by a goroutine that only sleeps.
	var lateness []time.Duration
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		for rctx.Err() == nil {
			start := time.Now()
			time.Sleep(time.Millisecond)
			lateness = append(lateness, time.Since(start)-time.Millisecond)
		}
	}()

	_, cpu0 := procStat(srv.pid)
	started := time.Now()
	close(begin)
	text := fmt.Sprintf("chatty:%d:%g", rate, dur.Seconds())
	for _, id := range ids {
		if err := srv.call("SendMessage", map[string]any{"sessionId": id, "text": text}, nil); err != nil {
			return err
		}
	}
	select {
	case <-time.After(dur + time.Second):
	case <-ctx.Done():
	}
	stopCalls()
	cwg.Wait()
	callWall := time.Since(started)
	// Wait until every turn has ended (on a loaded machine the agents can
	// fall behind their schedule), so that "delivered == expected" is a
	// real no-loss check; then let the last frames arrive.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
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
	time.Sleep(500 * time.Millisecond)
	_, cpu1 := procStat(srv.pid)
	stopSampling()
	rwg.Wait()
	end, _ := procStat(srv.pid)
	stopClients()
	wg.Wait()

	var all []time.Duration
	for c, st := range stats {
		res.Delivered = append(res.Delivered, st.delivered)
		res.Duplicates += st.dups
		if st.reconnected {
			res.Reconnect = &reconnectResult{Client: c, Replayed: st.replayed, CatchUpMs: float64(st.caughtUp.Microseconds()) / 1000}
			continue // its latencies include the second it was away
		}
		all = append(all, st.lat...)
	}
	res.LinesWritten = int64(nSess * int(float64(rate)*dur.Seconds()))
	res.LatencyMs = quantilesOf(all)
	res.Calls, res.CallErrors = nCalls.Load(), nErr.Load()
	res.CallsPerSecDone = float64(res.Calls) / callWall.Seconds()
	res.CallLatencyMs = quantilesOf(callLat)
	res.TimerLatenessMs = quantilesOf(lateness)
	res.RSSMaxMB = float64(rssMax.Load()) / (1 << 20)
	res.RSSEndMB = float64(end) / (1 << 20)
	res.CPUSeconds = (cpu1 - cpu0).Seconds()

	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "corral bench api: %d sessions × %d lines/s for %v, %d SSE clients, %d ListSessions/s (%s/%s, %d cpus)\n",
		nSess, rate, dur, nClients, callsPerSec, goruntime.GOOS, goruntime.GOARCH, goruntime.NumCPU())
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
	return nil
}
