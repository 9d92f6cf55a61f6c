package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

func init() {
	// Registration only: the benchmark exists on Linux.
	benches["slowbody"] = &bench{Summary: "slow-body flood of corral serve: the token holder's calls while thousands of unauthenticated connections trickle, RSS after they close (Linux)", Run: runBenchSlowBody}
}

// slowBodyOptions are the flags of `corral-bench slowbody`.
type slowBodyOptions struct {
	Conns        int
	Kinds        []string
	Trickle      time.Duration
	Hold         time.Duration
	Calls        int
	ServerNofile uint64 // 0: the limit the server inherits and raises itself
	Settle       time.Duration
	Redial       bool
	Exes         []string // the corral builds to serve, in order
}

// slowBodyRun is the report of one build under the flood.
type slowBodyRun struct {
	Exe          string `json:"exe"`
	Load         string `json:"loadavg"`
	Conns        int    `json:"conns"`
	Kinds        string `json:"kinds"`
	TrickleSec   float64
	ServerNofile string `json:"serverNofile"` // soft/hard, as set on the server
	ClientNofile uint64 `json:"clientNofile"`

	OpenSec    float64          `json:"openSeconds"` // until every slot made its first attempt
	Opened     int64            `json:"connectionsOpened"`
	DialErrors int64            `json:"dialErrors"`
	Answers    map[string]int64 `json:"answers"`          // status -> slow connections answered with it
	Unanswered int64            `json:"closedUnanswered"` // closed by the server without a status
	HeldMin    int64            `json:"heldMin"`          // slow connections open at the calls
	HeldMax    int64            `json:"heldMax"`
	ServerFDs  int              `json:"serverMaxFDs"`

	CallsMs     []float64 `json:"callsMs"` // the answered ones
	CallsFailed int       `json:"callsFailed"`
	CallErrors  []string  `json:"callErrors,omitempty"`
	P50Ms       float64   `json:"p50Ms"`
	MaxMs       float64   `json:"maxMs"`
	QuietMs     float64   `json:"quietCallMs"` // one call before the flood
	AfterMs     float64   `json:"afterCallMs"` // one call after the flood closed (-1: failed)

	RSSIdleMB  float64 `json:"rssIdleMB"`
	RSSPeakMB  float64 `json:"rssPeakMB"`
	RSSAfterMB float64 `json:"rssAfterMB"`
	SettleSec  float64 `json:"settleSeconds"`
}

func runBenchSlowBody(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("slowbody", args, stdout, stderr)
	var o slowBodyOptions
	corral := corralFlag(fs)
	kinds := fs.String("kinds", "none,wrong", "comma-separated kinds of slow connection: none (no token), wrong (wrong token), headers (headers never end), static (POST / with a body)")
	fs.IntVar(&o.Conns, "conns", 5000, "slow connections held at once")
	fs.DurationVar(&o.Trickle, "trickle", 3*time.Second, "one byte per this period on every slow connection")
	fs.DurationVar(&o.Hold, "hold", 20*time.Second, "how long the flood lasts once every connection was opened")
	fs.IntVar(&o.Calls, "calls", 20, "authenticated ListSessions calls during the flood, each on a new connection, bounded to 10 s")
	nofile := fs.Int("server-nofile", 4096, "open-files limit set on the server (soft and hard) once it serves; 0 keeps what it inherited and raised")
	fs.DurationVar(&o.Settle, "settle", 10*time.Second, "wait after the flood closed before reading the server's RSS")
	fs.BoolVar(&o.Redial, "redial", true, "open a slow connection again (after one period) when the server closes it")
	before := fs.String("before", "", "an earlier corral `executable` run through the same flood first")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	for _, k := range strings.Split(*kinds, ",") {
		if !slowKinds[k] {
			fmt.Fprintf(stderr, "corral-bench slowbody: unknown kind %q\n", k)
			return 2
		}
		o.Kinds = append(o.Kinds, k)
	}
	if o.Conns <= 0 || o.Calls <= 0 || o.Trickle <= 0 || o.Hold <= 0 || *nofile < 0 {
		fmt.Fprintln(stderr, "corral-bench slowbody: --conns, --calls, --trickle and --hold must be positive")
		return 2
	}
	o.ServerNofile = uint64(*nofile)
	exe, err := findCorral(*corral)
	if err != nil {
		fmt.Fprintf(stderr, "corral-bench slowbody: %v\n", err)
		return 1
	}
	if *before != "" {
		o.Exes = append(o.Exes, *before)
	}
	o.Exes = append(o.Exes, exe)
	var runs []slowBodyRun
	code := 0
	for _, e := range o.Exes {
		r, err := benchSlowBody(ctx, o, e, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "corral-bench slowbody: %s: %v\n", e, err)
			return 1
		}
		runs = append(runs, r)
		if *asJSON {
			continue
		}
		printSlowBodyRun(stdout, r)
		if e == exe {
			if fails := slowBodyVerdict(r); len(fails) > 0 {
				fmt.Fprintf(stdout, "  acceptance NOT met: %s\n", strings.Join(fails, "; "))
				code = 1
			} else {
				fmt.Fprintln(stdout, "  acceptance met: every call answered in under 1 s, RSS under 100 MB after the flood")
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(runs) // error ignored: stdout
	}
	return code
}

// slowBodyVerdict returns why r misses the acceptance (every authenticated
// call during and after the flood answered within 1 s, RSS under 100 MB
// after the flood closed); nil when it meets it.
func slowBodyVerdict(r slowBodyRun) []string {
	var fails []string
	if r.CallsFailed > 0 {
		fails = append(fails, fmt.Sprintf("%d of %d calls got no answer", r.CallsFailed, r.CallsFailed+len(r.CallsMs)))
	}
	if r.MaxMs >= 1000 {
		fails = append(fails, fmt.Sprintf("slowest call %.0f ms", r.MaxMs))
	}
	if r.AfterMs < 0 || r.AfterMs >= 1000 {
		fails = append(fails, "the call after the flood was not answered within 1 s")
	}
	if r.RSSAfterMB >= 100 {
		fails = append(fails, fmt.Sprintf("RSS %.1f MB after the flood", r.RSSAfterMB))
	}
	return fails
}

// benchSlowBody serves exe on a fresh data directory and runs the flood
// against it.
func benchSlowBody(ctx context.Context, o slowBodyOptions, exe string, stderr io.Writer) (slowBodyRun, error) {
	r := slowBodyRun{Exe: exe, Load: loadavg(), Conns: o.Conns, Kinds: strings.Join(o.Kinds, ","), TrickleSec: o.Trickle.Seconds(), SettleSec: o.Settle.Seconds()}
	var err error
	if r.ClientNofile, err = raiseOwnNofile(uint64(o.Conns) + 256); err != nil {
		return r, err
	}
	dir, err := os.MkdirTemp("", "corral-bench-slowbody-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	srv, err := startBenchServer(exe, dir, stderr)
	if err != nil {
		return r, err
	}
	defer srv.stop()
	if o.ServerNofile > 0 {
		if err := setNofile(srv.pid, o.ServerNofile); err != nil {
			return r, fmt.Errorf("setting the server's open-files limit: %w", err)
		}
	}
	r.ServerNofile = nofileOf(srv.pid)
	time.Sleep(500 * time.Millisecond)
	idle, _ := procStat(srv.pid)
	r.RSSIdleMB = mb(idle)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if d, err := tokenCall(hc, srv); err == nil {
		r.QuietMs = ms(d)
	} else {
		return r, fmt.Errorf("the call before the flood: %w", err)
	}

	addr := strings.TrimPrefix(srv.url, "http://")
	atk := &slowAttack{addr: addr, kinds: o.Kinds, trickle: o.Trickle, redial: o.Redial}
	fctx, stopFlood := context.WithCancel(ctx)
	mctx, stopMon := context.WithCancel(ctx)
	mon := serverMonitor(mctx, srv.pid, 250*time.Millisecond)
	first := make(chan struct{})
	flooded := make(chan struct{})
	t0 := time.Now()
	go func() { atk.run(fctx, o.Conns, first); close(flooded) }()
	<-first
	r.OpenSec = time.Since(t0).Seconds()
	measureCalls(&r, hc, srv, atk, o)
	stopFlood()
	select {
	case <-flooded:
	case <-time.After(30 * time.Second):
		stopMon()
		return r, errors.New("the slow connections did not close within 30 s")
	}
	r.Opened, r.DialErrors, r.Unanswered, r.Answers = atk.opened.Load(), atk.dialErrs.Load(), atk.unanswered.Load(), atk.answered()
	time.Sleep(o.Settle)
	stopMon()
	s := <-mon
	r.ServerFDs, r.RSSPeakMB = s.maxFDs, mb(s.maxRSS)
	after, _ := procStat(srv.pid)
	r.RSSAfterMB = mb(after)
	r.AfterMs = -1
	if d, err := tokenCall(hc, srv); err == nil {
		r.AfterMs = ms(d)
	}
	return r, nil
}

// measureCalls makes o.Calls authenticated calls spread over o.Hold while
// the flood goes on, and records their latency.
func measureCalls(r *slowBodyRun, hc *http.Client, srv *benchServer, atk *slowAttack, o slowBodyOptions) {
	gap := o.Hold / time.Duration(o.Calls)
	r.HeldMin = -1
	for i := 0; i < o.Calls; i++ {
		time.Sleep(gap)
		held := atk.open.Load()
		if r.HeldMin < 0 || held < r.HeldMin {
			r.HeldMin = held
		}
		if held > r.HeldMax {
			r.HeldMax = held
		}
		d, err := tokenCall(hc, srv)
		if err != nil {
			r.CallsFailed++
			if len(r.CallErrors) < 3 {
				r.CallErrors = append(r.CallErrors, err.Error())
			}
			continue
		}
		r.CallsMs = append(r.CallsMs, ms(d))
	}
	if len(r.CallsMs) > 0 {
		s := append([]float64(nil), r.CallsMs...)
		sort.Float64s(s)
		r.P50Ms, r.MaxMs = s[len(s)/2], s[len(s)-1]
	}
	if r.CallsFailed > 0 {
		r.MaxMs = 10_000 // at least: a failed call had no answer within the client's bound
	}
}

// tokenCall makes one authenticated ListSessions call on a new connection
// and returns its latency; no answer within the client's 10 s bound is an
// error.
func tokenCall(hc *http.Client, srv *benchServer) (time.Duration, error) {
	req, _ := http.NewRequest("POST", srv.url+"/api/call/ListSessions", bytes.NewReader([]byte("{}")))
	req.Header.Set("Authorization", "Bearer "+srv.token)
	t := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, errors.New("no answer within 10 s")
		}
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return d, nil
}

func printSlowBodyRun(w io.Writer, r slowBodyRun) {
	fmt.Fprintf(w, "%s (load %s)\n", r.Exe, r.Load)
	fmt.Fprintf(w, "  flood: %d slow connections (%s), one byte every %gs; server open-files limit %s, client %d\n",
		r.Conns, r.Kinds, r.TrickleSec, r.ServerNofile, r.ClientNofile)
	fmt.Fprintf(w, "  opened %d connections in all (first %d in %.1fs), %d dial errors; answered %v, closed unanswered %d; %d-%d open at the calls; server fds max %d\n",
		r.Opened, r.Conns, r.OpenSec, r.DialErrors, r.Answers, r.Unanswered, r.HeldMin, r.HeldMax, r.ServerFDs)
	fmt.Fprintf(w, "  token holder: quiet %.1f ms; during the flood %d answered, p50 %.1f ms, max %.1f ms, %d without answer %v; after it %.1f ms\n",
		r.QuietMs, len(r.CallsMs), r.P50Ms, r.MaxMs, r.CallsFailed, r.CallErrors, r.AfterMs)
	fmt.Fprintf(w, "  RSS: idle %.1f MB, peak %.1f MB, %.0fs after the flood closed %.1f MB\n", r.RSSIdleMB, r.RSSPeakMB, r.SettleSec, r.RSSAfterMB)
}

func mb(b int64) float64         { return float64(b) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
