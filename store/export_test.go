package store

import (
	"context"
	"fmt"
	"time"

	"github.com/corral-dev/corral/event"
)

// SetLossRetry sets how long the writer waits before it retries writing
// what failed commits left to report, and returns the previous value.
func SetLossRetry(d time.Duration) time.Duration {
	old := lossRetry
	lossRetry = d
	return old
}

// SetErrorReportGap sets how long after the first failed commit of an
// outage OnError hears of the next one, and returns the previous value.
func SetErrorReportGap(d time.Duration) time.Duration {
	old := errReportFirst
	errReportFirst = d
	return old
}

// SearchMerged reports whether the quiet-time merger has found the search
// index fully merged since the last documents were written.
func (s *Store) SearchMerged() bool { return s.merger.docs.Load() == 0 }

// SeedUsage fills the usage rollup directly, for benchmarks: sessions
// sessions of turnsEach turns each, over days days ending at last, each
// session on one to three consecutive days, with agents, models and
// projects in rotation. It returns the number of turns written.
func SeedUsage(s *Store, sessions, turnsEach, days int, last time.Time) (int64, error) {
	agents := []string{"claude", "codex", "gemini", "claude-acp", "generic"}
	models := []string{"claude-opus-4-8", "claude-sonnet-4-5", "gpt-5-codex", "gemini-2.5-pro"}
	lastDay := DayOf(last)
	var total int64
	err := s.write(context.Background(), "seed usage", func(t *wtx) (err error) {
		ins, err := t.tx.PrepareContext(t.ctx, `INSERT INTO usage_sessions(day, session_id, model, agent, project, input_tokens, output_tokens,
			cache_read_tokens, cache_write_tokens, cost_usd, estimated_usd, turns, duration_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		defer func() {
			if err == nil {
				_, err = t.tx.ExecContext(t.ctx, `INSERT INTO usage_daily(day, agent, model, project, input_tokens, output_tokens,
				cache_read_tokens, cache_write_tokens, cost_usd, estimated_usd, turns, duration_ms)
				SELECT day, agent, model, project, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
				sum(cache_write_tokens), sum(cost_usd), sum(estimated_usd), sum(turns), sum(duration_ms)
				FROM usage_sessions GROUP BY 1, 2, 3, 4`)
			}
			if err == nil {
				_, err = t.tx.ExecContext(t.ctx, `INSERT INTO usage_monthly(month, agent, model, project, input_tokens, output_tokens,
				cache_read_tokens, cache_write_tokens, cost_usd, estimated_usd, turns, duration_ms)
				SELECT CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1,
				agent, model, project, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
				sum(cache_write_tokens), sum(cost_usd), sum(estimated_usd), sum(turns), sum(duration_ms)
				FROM usage_daily GROUP BY 1, 2, 3, 4`)
			}
			if err == nil {
				_, err = t.tx.ExecContext(t.ctx, `INSERT INTO usage_days(day, input_tokens, output_tokens, cache_read_tokens,
				cache_write_tokens, cost_usd, estimated_usd, turns, duration_ms, sessions)
				SELECT day, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
				sum(cost_usd), sum(estimated_usd), sum(turns), sum(duration_ms), count(DISTINCT session_id)
				FROM usage_sessions GROUP BY day`)
			}
			if err == nil {
				_, err = t.tx.ExecContext(t.ctx, `INSERT INTO usage_session_totals(session_id, cost_usd, tokens, first_day, last_day)
				SELECT session_id, sum(cost_usd), sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens),
				min(day), max(day) FROM usage_sessions GROUP BY session_id`)
			}
		}()
		for i := 0; i < sessions; i++ {
			span := 1 + i%3
			first := lastDay - int64(days-1) + int64(i*7919%days)
			left := turnsEach
			for d := 0; d < span; d++ {
				n := turnsEach / span
				if d == span-1 {
					n = left
				}
				left -= n
				estimated := 0.0
				if i%5 == 2 {
					estimated = float64(n) * 0.01
				}
				_, err := ins.ExecContext(t.ctx, first+int64(d), fmt.Sprintf("s%06d", i), models[i%len(models)], agents[i%len(agents)],
					fmt.Sprintf("/home/u/p%02d", i%50), n*20000, n*500, n*10000, n*200, float64(n)*0.05, estimated, n, n*4000)
				if err != nil {
					return err
				}
				total += int64(n)
			}
		}
		return nil
	})
	return total, err
}

// PreIndexText works out the search text of each event as an append does
// before the writer (preIndex), and returns the total length of the texts.
func PreIndexText(evs []event.Event) int {
	n := 0
	for i := range evs {
		n += len(preIndex(&evs[i]).text)
	}
	return n
}

// HoldSearchTexts makes the writer hold the search texts of plain appends
// until a job that runs a function, or the store's close, writes them.
func HoldSearchTexts(on bool) { holdForTest.Store(on) }

// SearchBackfilled is closed once the search index's work after Open (the
// texts a killed process held, the events stored before the index) is done.
func (s *Store) SearchBackfilled() <-chan struct{} { return s.searchDone }

// CheckpointNow copies the WAL into the database and truncates it, so that
// a test that fills the disk next is not undone by a later checkpoint
// growing the database file into the space it frees.
func (s *Store) CheckpointNow() error {
	var busy, log, done int
	return s.rdb.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &done)
}
