package store

import (
	"context"
	"database/sql"
	"time"
)

// rateWindowsSQL is the migration of the rate-limit windows the agents
// report (agent.rate_limits): the latest of each window per agent and
// account, kept across restarts so the usage view shows them before the
// next report.
const rateWindowsSQL = `
CREATE TABLE IF NOT EXISTS rate_windows (
	agent          TEXT NOT NULL,    -- the configured agent name the session ran
	account        TEXT NOT NULL,    -- the agent's limit name (Codex's limitId), '' when it has one
	window         TEXT NOT NULL,    -- five_hour, seven_day, primary, secondary, ...
	used_percent   REAL,             -- NULL: the agent did not say
	window_minutes INTEGER NOT NULL DEFAULT 0,
	resets_at      INTEGER NOT NULL DEFAULT 0, -- unix nanoseconds, 0: unknown
	status         TEXT NOT NULL DEFAULT '',
	observed_at    INTEGER NOT NULL,           -- unix nanoseconds of the report
	PRIMARY KEY (agent, account, window)
) WITHOUT ROWID;
`

// RateWindow is one rate-limit window of an agent's account as last
// reported.
type RateWindow struct {
	Agent         string    `json:"agent"`
	Account       string    `json:"account,omitempty"`
	Window        string    `json:"window"`
	UsedPercent   *float64  `json:"usedPercent,omitempty"`
	WindowMinutes int       `json:"windowMinutes,omitempty"`
	ResetsAt      time.Time `json:"resetsAt,omitzero"`
	Status        string    `json:"status,omitempty"`
	ObservedAt    time.Time `json:"observedAt"`
}

// QueueRateWindows queues the write of reported windows: each replaces
// the stored one of its agent, account and window unless that one was
// observed later (reports of two sessions of an agent may commit out of
// order).
func (s *Store) QueueRateWindows(ws []RateWindow) error {
	return s.queueJob("record rate windows", false, rateWindowsJob(ws))
}

// PutRateWindows is QueueRateWindows waiting for the commit.
func (s *Store) PutRateWindows(ctx context.Context, ws []RateWindow) error {
	return s.write(ctx, "record rate windows", rateWindowsJob(ws))
}

func rateWindowsJob(ws []RateWindow) func(t *wtx) error {
	return func(t *wtx) error {
		for _, w := range ws {
			var used sql.NullFloat64
			if w.UsedPercent != nil {
				used = sql.NullFloat64{Float64: *w.UsedPercent, Valid: true}
			}
			var resets int64
			if !w.ResetsAt.IsZero() {
				resets = w.ResetsAt.UnixNano()
			}
			if _, err := t.tx.ExecContext(t.ctx, `
INSERT INTO rate_windows(agent, account, window, used_percent, window_minutes, resets_at, status, observed_at)
VALUES(?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(agent, account, window) DO UPDATE SET used_percent=excluded.used_percent,
	window_minutes=excluded.window_minutes, resets_at=excluded.resets_at, status=excluded.status,
	observed_at=excluded.observed_at
WHERE excluded.observed_at >= rate_windows.observed_at`,
				w.Agent, w.Account, w.Window, used, w.WindowMinutes, resets, w.Status, w.ObservedAt.UnixNano()); err != nil {
				return err
			}
		}
		return nil
	}
}

// RateWindows returns every stored window, by agent, account and window.
func (s *Store) RateWindows(ctx context.Context) ([]RateWindow, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT agent, account, window, used_percent, window_minutes, resets_at, status, observed_at
FROM rate_windows ORDER BY agent, account, window`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RateWindow{}
	for rows.Next() {
		var w RateWindow
		var used sql.NullFloat64
		var resets, observed int64
		if err := rows.Scan(&w.Agent, &w.Account, &w.Window, &used, &w.WindowMinutes, &resets, &w.Status, &observed); err != nil {
			return out, err
		}
		if used.Valid {
			w.UsedPercent = &used.Float64
		}
		if resets != 0 {
			w.ResetsAt = time.Unix(0, resets).UTC()
		}
		w.ObservedAt = time.Unix(0, observed).UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}
