package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFleetArgs(t *testing.T) {
	var out, errb bytes.Buffer
	o, code, ok := parseFleetArgs(nil, &out, &errb)
	if !ok || code != 0 || o.runners != 3 || o.perRunner != 20 || o.sessions() != 60 || o.local || o.rounds != 0 || o.heartbeat != 5*time.Second {
		t.Fatalf("defaults: %+v code %d ok %v stderr %s", o, code, ok, errb.String())
	}
	o, _, ok = parseFleetArgs([]string{"--runners", "2", "--sessions", "5", "--rounds", "3", "--duration", "2s"}, &out, &errb)
	if !ok || o.sessions() != 10 || o.rounds != 3 || o.dur != 2*time.Second {
		t.Fatalf("flags: %+v ok %v", o, ok)
	}
	for _, args := range [][]string{
		{"--runners", "0"},
		{"--sessions", "0"},
		{"--duration", "500ms"},
		{"--rounds", "-1"},
		{"--rounds", "2", "--local"},
		{"--heartbeat", "0s"},
	} {
		errb.Reset()
		if _, code, ok := parseFleetArgs(args, &out, &errb); ok || code != 2 || !strings.Contains(errb.String(), "corral-bench fleet:") {
			t.Errorf("%q: accepted (code %d, stderr %q)", args, code, errb.String())
		}
	}
	if _, code, ok := parseFleetArgs([]string{"--help"}, &out, &errb); ok || code != 0 {
		t.Errorf("--help: code %d ok %v", code, ok)
	}
}

func TestFleetRunModesAlternate(t *testing.T) {
	if got := fleetRunModes(fleetOptions{rounds: 2}); !slices.Equal(got, []bool{false, true, false, true}) {
		t.Fatalf("2 rounds: %v", got)
	}
	if got := fleetRunModes(fleetOptions{local: true}); !slices.Equal(got, []bool{true}) {
		t.Fatalf("--local: %v", got)
	}
}

func TestOverheadOf(t *testing.T) {
	run := func(p50, p99 float64) fleetBenchResult {
		return fleetBenchResult{LatencyMs: quantiles{P50: p50, P99: p99}}
	}
	o := overheadOf(run(3, 20), run(1, 10))
	if o.P50Ms != 2 || o.P99Ms != 10 || o.P50Ratio != 3 || o.P99Ratio != 2 || !o.MetP50 || !o.MetP99 {
		t.Fatalf("at the targets: %+v", o)
	}
	o = overheadOf(run(3.5, 25), run(1, 10))
	if o.MetP50 || o.MetP99 {
		t.Fatalf("over the targets: %+v", o)
	}
	if o := overheadOf(run(1, 5), run(0, 0)); o.P50Ratio != 0 || o.P99Ratio != 0 {
		t.Fatalf("no local figures: %+v", o)
	}
	var w bytes.Buffer
	printOverhead(&w, run(3.5, 12), run(1, 10))
	if s := w.String(); !strings.Contains(s, "p50 +2.50 ms (×3.50, target +2 ms: not met)") || !strings.Contains(s, "p99 +2.00 ms (×1.20, target +10 ms: met)") {
		t.Fatalf("printed: %s", s)
	}
}

// addClients counts every event of the first client over the time from
// the agents' start to its last event, and leaves the reconnecting
// client's latencies out.
func TestFleetAddClients(t *testing.T) {
	started := time.Unix(100, 0)
	ms := func(v ...int) []time.Duration {
		var ds []time.Duration
		for _, x := range v {
			ds = append(ds, time.Duration(x)*time.Millisecond)
		}
		return ds
	}
	a := &sseClientStats{delivered: 8, lat: ms(1, 2, 3, 4, 5, 6, 8, 7), events: 50, eventsLast: started.Add(2 * time.Second)}
	b := &sseClientStats{delivered: 2, dups: 1, reconnected: true, lat: ms(1000, 1000)}
	var res fleetBenchResult
	res.addClients([]*sseClientStats{a, b}, started)
	if res.EventsPerClient != 50 || res.EventsPerSecond != 25 || res.Duplicates != 1 || !slices.Equal(res.Delivered, []int64{8, 2}) || res.LatencyMs.Max != 8 || res.LatencyMs.N != 8 {
		t.Fatalf("%+v", res)
	}
	if f, l := res.LatencyFirstMs, res.LatencyLastMs; f.N != 2 || f.Max != 2 || l.N != 2 || l.P50 != 8 || l.Max != 8 {
		t.Fatalf("quarters: first %+v last %+v", f, l)
	}
	if !slices.Equal(a.lat, ms(1, 2, 3, 4, 5, 6, 8, 7)) {
		t.Fatalf("the client's latencies were reordered: %v", a.lat)
	}
}
