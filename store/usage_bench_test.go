package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

// usageBenchStore is a store whose rollup holds days days of history
// ending at last: sessions sessions of 50 turns each on one to three days
// each (20,000 sessions over 365 days: 1,000,000 turns).
func usageBenchStore(b *testing.B, sessions, days int, last time.Time) *store.Store {
	b.Helper()
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	n, err := store.SeedUsage(s, sessions, 50, days, last)
	if err != nil || n != int64(sessions)*50 {
		b.Fatalf("seeded %d turns: %v", n, err)
	}
	if err := store.BuildUsageGroups(s); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkUsage: GetUsage's queries over a year of 1,000,000 turns: a
// whole year by day (with the top 10 sessions), by project, by model, and
// one month by agent. Target: each at most 50 ms. cpu-ms/op is the
// process's CPU time per query, which other load on the machine moves
// less than the wall time.
func BenchmarkUsage(b *testing.B) { benchUsage(b, 20000, 365) }

// BenchmarkUsageTwoYears: the same queries over twice the history (two
// years, 40,000 sessions, 2,000,000 turns): the ranges that are not "all
// time" read what they read over one year.
func BenchmarkUsageTwoYears(b *testing.B) { benchUsage(b, 40000, 730) }

func benchUsage(b *testing.B, sessions, days int) {
	last := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	s := usageBenchStore(b, sessions, days, last)
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
