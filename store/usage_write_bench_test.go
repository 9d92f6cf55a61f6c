package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

// BenchmarkUsageAddTurn: recording one turn (AddTurnUsage, waiting for
// its commit), with the rollups it keeps. "first-of-day": each turn is a
// session's first of its day, after a day without one (the most a turn
// writes); "same-day": each turn follows one of the same session, day and
// model (the common case).
func BenchmarkUsageAddTurn(b *testing.B) {
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		at   func(i int) time.Time
	}{
		{"first-of-day", func(i int) time.Time { return start.AddDate(0, 0, 2*(i/100)) }},
		{"same-day", func(i int) time.Time { return start.Add(time.Duration(i) * time.Millisecond) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := store.Open(b.TempDir(), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for i := 0; i < 100; i++ {
				if _, err := s.CreateSession(ctx, store.Session{ID: fmt.Sprint("s", i), Agent: "claude", Cwd: fmt.Sprint("/p", i%10)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if err := s.AddTurnUsage(ctx, store.TurnUsage{SessionID: fmt.Sprint("s", i%100), Model: "m", At: c.at(i),
					InputTokens: 100, CostUSD: 0.01}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
