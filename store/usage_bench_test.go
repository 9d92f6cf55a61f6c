package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

// usageBenchStore is a store whose rollup holds a year of history: 20,000
// sessions of 50 turns each (1,000,000 turns) on one to three days each.
func usageBenchStore(b *testing.B, last time.Time) *store.Store {
	b.Helper()
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	n, err := store.SeedUsage(s, 20000, 50, 365, last)
	if err != nil || n != 1_000_000 {
		b.Fatalf("seeded %d turns: %v", n, err)
	}
	return s
}

// BenchmarkUsage: GetUsage's queries over a year of 1,000,000 turns: a
// whole year by day (with the top 10 sessions), by project, by model, and
// one month by agent. Target: each at most 50 ms. cpu-ms/op is the
// process's CPU time per query, which other load on the machine moves
// less than the wall time.
func BenchmarkUsage(b *testing.B) {
	last := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s := usageBenchStore(b, last)
	year := last.AddDate(-1, 0, 1)
	for _, c := range []struct {
		name string
		q    store.UsageQuery
	}{
		{"year-by-day-top10", store.UsageQuery{From: year, To: last, GroupBy: "day", Top: 10}},
		{"year-by-project", store.UsageQuery{From: year, To: last, GroupBy: "project"}},
		{"all-by-model", store.UsageQuery{GroupBy: "model"}},
		{"month-by-agent-top10", store.UsageQuery{From: last.AddDate(0, -1, 0), To: last, GroupBy: "agent", Top: 10}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				r, err := s.Usage(context.Background(), c.q)
				if err != nil || len(r.Rows) == 0 || (c.q.Top > 0 && len(r.Top) != c.q.Top) {
					b.Fatal(err, len(r.Rows))
				}
			}
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
