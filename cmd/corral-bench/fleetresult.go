package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// The fleet's target: a hub's SSE client sees a runner's event at most
// this much later than a local corral's client sees a local one.
const (
	fleetTargetP50Ms = 2.0
	fleetTargetP99Ms = 10.0
)

// fleetBenchResult is the report of one `corral-bench fleet` run.
type fleetBenchResult struct {
	Mode             string  `json:"mode"` // "fleet" or "local"
	Runners          int     `json:"runners"`
	Sessions         int     `json:"sessions"`
	LinesPerSecond   int     `json:"linesPerSecond"`
	Clients          int     `json:"clients"`
	DurationSeconds  float64 `json:"durationSeconds"`
	CallsPerSecond   int     `json:"callsPerSecondTarget"`
	HeartbeatSeconds float64 `json:"heartbeatSeconds"`
	LoadAvg          string  `json:"loadAverage"` // /proc/loadavg's first three fields at the end of the run

	LinesExpected int64     `json:"linesExpectedPerClient"`
	Delivered     []int64   `json:"deliveredPerClient"`
	Duplicates    int64     `json:"duplicatesOrReordered"`
	LatencyMs     quantiles `json:"deliveryLatencyMs"` // agent write → hub SSE client read, as `corral-bench api`
	// LatencyFirstMs and LatencyLastMs are the first client's first and
	// last quarter of deltas (in arrival order): a backlog that grows
	// during the run shows as the last quarter's latency above the first's.
	LatencyFirstMs quantiles `json:"deliveryLatencyFirstQuarterMs"`
	LatencyLastMs  quantiles `json:"deliveryLatencyLastQuarterMs"`
	// EventsPerClient is every event one SSE client read (deltas and the
	// rest); EventsPerSecond that over the time from the agents' start to
	// its last event. In fleet mode each of them came through JetStream.
	EventsPerClient        int64     `json:"eventsPerClient"`
	EventsPerSecond        float64   `json:"eventsPerSecond"`
	JetStreamBytes         int64     `json:"jetStreamBytes"` // growth of the hub's JetStream store during the load
	JetStreamBytesPerEvent float64   `json:"jetStreamBytesPerEvent"`
	StoreBytes             int64     `json:"storeBytes"` // growth of the server's data directory but JetStream (its store, WAL included)
	StoreBytesPerEvent     float64   `json:"storeBytesPerEvent"`
	Calls                  int64     `json:"calls"`
	CallErrors             int64     `json:"callErrors"`
	TimerLatenessMs        quantiles `json:"timerLatenessMs"`

	Hub         procFigures   `json:"hub"`
	RunnerProcs []procFigures `json:"runnerProcs,omitempty"`
}

// procFigures are one process's costs. The idle figures are the hub's
// only: CPU over --idle before the runners joined and after.
type procFigures struct {
	Name             string  `json:"name,omitempty"`
	RSSIdleMB        float64 `json:"rssIdleMB,omitempty"`
	RSSRunnersMB     float64 `json:"rssRunnersOnlineMB,omitempty"`
	RSSSessionsMB    float64 `json:"rssSessionsCreatedMB,omitempty"`
	IdleCPUms        float64 `json:"idleCpuMs,omitempty"`
	IdleRunnersCPUms float64 `json:"idleRunnersCpuMs,omitempty"`
	RSSMaxMB         float64 `json:"rssMaxMB"`
	RSSEndMB         float64 `json:"rssEndMB"`
	CPUSeconds       float64 `json:"cpuSeconds"`
	CPUPercent       float64 `json:"cpuPercent"` // of one core, over the load's wall time
}

// fill records pid's RSS and its CPU since cpu0 over wall.
func (p *procFigures) fill(pid int, cpu0, wall time.Duration, s *sampler) {
	end, cpu1 := procStat(pid)
	p.RSSMaxMB = float64(s.rssMax.Load()) / (1 << 20)
	p.RSSEndMB = float64(end) / (1 << 20)
	p.CPUSeconds = (cpu1 - cpu0).Seconds()
	p.CPUPercent = 100 * p.CPUSeconds / wall.Seconds()
}

// addClients adds the SSE clients' deliveries, latencies and event
// counts; the reconnecting client's latencies are left out, as in
// `corral-bench api`. started is when the agents were started.
func (res *fleetBenchResult) addClients(stats []*sseClientStats, started time.Time) {
	var all []time.Duration
	for _, st := range stats {
		res.Delivered = append(res.Delivered, st.delivered)
		res.Duplicates += st.dups
		if !st.reconnected {
			all = append(all, st.lat...)
		}
	}
	res.LatencyMs = quantilesOf(all)
	if len(stats) > 0 {
		st := stats[0]
		q := len(st.lat) / 4
		res.LatencyFirstMs = quantilesOf(slices.Clone(st.lat[:q]))
		res.LatencyLastMs = quantilesOf(slices.Clone(st.lat[len(st.lat)-q:]))
		res.EventsPerClient = st.events
		if d := st.eventsLast.Sub(started); d > 0 {
			res.EventsPerSecond = float64(st.events) / d.Seconds()
		}
	}
	res.LoadAvg = loadAvg()
}

// loadAvg is the first three fields of /proc/loadavg ("" elsewhere).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// fleetOverhead is a fleet run's latency beside a local run's.
type fleetOverhead struct {
	P50Ms, P99Ms       float64 // fleet minus local
	P50Ratio, P99Ratio float64 // fleet over local (0 when local is 0)
	MetP50, MetP99     bool
}

// overheadOf compares fleet with local against the targets.
func overheadOf(fleet, local fleetBenchResult) fleetOverhead {
	o := fleetOverhead{P50Ms: fleet.LatencyMs.P50 - local.LatencyMs.P50, P99Ms: fleet.LatencyMs.P99 - local.LatencyMs.P99}
	if local.LatencyMs.P50 > 0 {
		o.P50Ratio = fleet.LatencyMs.P50 / local.LatencyMs.P50
	}
	if local.LatencyMs.P99 > 0 {
		o.P99Ratio = fleet.LatencyMs.P99 / local.LatencyMs.P99
	}
	o.MetP50, o.MetP99 = o.P50Ms <= fleetTargetP50Ms, o.P99Ms <= fleetTargetP99Ms
	return o
}

func printFleetResult(w io.Writer, res fleetBenchResult) {
	fmt.Fprintf(w, "corral-bench fleet (%s): %d runners, %d sessions × %d lines/s for %gs, %d SSE clients, %d ListSessions/s; load %s\n",
		res.Mode, res.Runners, res.Sessions, res.LinesPerSecond, res.DurationSeconds, res.Clients, res.CallsPerSecond, res.LoadAvg)
	l := res.LatencyMs
	fmt.Fprintf(w, "delivery latency (agent write → hub SSE client read), ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  (n=%d)\n", l.P50, l.P90, l.P99, l.Max, l.N)
	fmt.Fprintf(w, "first client, first / last quarter of its deltas, ms: p50 %.2f / %.2f  p99 %.2f / %.2f\n", res.LatencyFirstMs.P50, res.LatencyLastMs.P50, res.LatencyFirstMs.P99, res.LatencyLastMs.P99)
	fmt.Fprintf(w, "deltas per client: %v (expected %d each), duplicates or out of order: %d\n", res.Delivered, res.LinesExpected, res.Duplicates)
	fmt.Fprintf(w, "events: %d per client, %.0f/s; server store +%d bytes (%.0f bytes/event)", res.EventsPerClient, res.EventsPerSecond, res.StoreBytes, res.StoreBytesPerEvent)
	if res.Mode == "fleet" {
		fmt.Fprintf(w, "; JetStream store +%d bytes (%.0f bytes/event)", res.JetStreamBytes, res.JetStreamBytesPerEvent)
	}
	fmt.Fprintln(w)
	h := res.Hub
	fmt.Fprintf(w, "server: RSS idle %.1f MB", h.RSSIdleMB)
	if res.Mode == "fleet" {
		fmt.Fprintf(w, ", runners online %.1f MB", h.RSSRunnersMB)
	}
	fmt.Fprintf(w, ", sessions created %.1f MB, max %.1f MB, end %.1f MB; CPU %.2f s (%.0f%% of a core)\n", h.RSSSessionsMB, h.RSSMaxMB, h.RSSEndMB, h.CPUSeconds, h.CPUPercent)
	fmt.Fprintf(w, "server idle CPU: %.0f ms alone", h.IdleCPUms)
	if res.Mode == "fleet" {
		fmt.Fprintf(w, ", %.0f ms with the runners (heartbeat %gs)", h.IdleRunnersCPUms, res.HeartbeatSeconds)
	}
	fmt.Fprintln(w)
	for _, r := range res.RunnerProcs {
		fmt.Fprintf(w, "runner %s: RSS max %.1f MB, end %.1f MB; CPU %.2f s (%.0f%% of a core)\n", r.Name, r.RSSMaxMB, r.RSSEndMB, r.CPUSeconds, r.CPUPercent)
	}
	t := res.TimerLatenessMs
	fmt.Fprintf(w, "control: a 1 ms sleep woke late by, ms: p50 %.2f  p99 %.2f  max %.2f\n", t.P50, t.P99, t.Max)
}

// printOverhead prints fleet against local and whether the targets hold.
func printOverhead(w io.Writer, fleet, local fleetBenchResult) {
	o := overheadOf(fleet, local)
	verdict := func(met bool) string {
		if met {
			return "met"
		}
		return "not met"
	}
	fmt.Fprintf(w, "fleet vs local: p50 %+.2f ms (×%.2f, target +%g ms: %s), p99 %+.2f ms (×%.2f, target +%g ms: %s)\n",
		o.P50Ms, o.P50Ratio, fleetTargetP50Ms, verdict(o.MetP50), o.P99Ms, o.P99Ratio, fleetTargetP99Ms, verdict(o.MetP99))
}
