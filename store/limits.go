package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/corral-dev/corral/event"
)

// limitsSchemaSQL is the migration of the rate-limit and schedule tables
// (package schedule owns their meaning).
const limitsSchemaSQL = `
-- The limit state of a session: its auto-resume choice (NULL: the
-- configuration's default) and, while it is rate-limited, the limit and
-- the durable resume timer (armed = 1: resume at reset_at).
CREATE TABLE IF NOT EXISTS session_limits (
	session_id  TEXT PRIMARY KEY,
	auto_resume INTEGER,
	reset_at    INTEGER,               -- unix nanoseconds; NULL: not limited
	kind        TEXT NOT NULL DEFAULT '',
	http_status INTEGER NOT NULL DEFAULT 0,
	message     TEXT NOT NULL DEFAULT '',
	prompt      TEXT NOT NULL DEFAULT '',
	run_id      TEXT NOT NULL DEFAULT '',
	armed       INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Prompts to run at a time or on a cron schedule.
CREATE TABLE IF NOT EXISTS schedules (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL DEFAULT '',
	at              INTEGER,           -- unix nanoseconds of a one-off run
	cron            TEXT NOT NULL DEFAULT '',
	prompt          TEXT NOT NULL,
	session_id      TEXT NOT NULL DEFAULT '',
	agent           TEXT NOT NULL DEFAULT '',
	cwd             TEXT NOT NULL DEFAULT '',
	missed          TEXT NOT NULL DEFAULT 'run',
	paused          INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	next_run_at     INTEGER,           -- NULL: nothing more to run
	last_run_at     INTEGER,
	last_result     TEXT NOT NULL DEFAULT '',
	last_run_id     TEXT NOT NULL DEFAULT '',
	last_session_id TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
`

// SessionLimit is a row of session_limits.
type SessionLimit struct {
	SessionID string
	// AutoResume is the session's own choice; nil follows the
	// configuration.
	AutoResume *bool
	// ResetAt is zero when the session is not rate-limited.
	ResetAt    time.Time
	Kind       string
	HTTPStatus int
	Message    string
	// Prompt is what the resume sends; RunID the turn that hit the limit.
	Prompt string
	RunID  string
	// Armed: the resume timer fires at ResetAt.
	Armed bool
}

// Schedule is a row of schedules.
type Schedule struct {
	ID, Name      string
	At            time.Time // zero: a cron schedule
	Cron          string
	Prompt        string
	SessionID     string
	Agent, Cwd    string
	Missed        string
	Paused        bool
	CreatedAt     time.Time
	NextRunAt     time.Time // zero: no next run
	LastRunAt     time.Time
	LastResult    string
	LastRunID     string
	LastSessionID string
}

func nsOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func timeOf(ns sql.NullInt64) time.Time {
	if !ns.Valid {
		return time.Time{}
	}
	return time.Unix(0, ns.Int64)
}

// emitAll appends evs in the job's transaction.
func emitAll(t *wtx, evs []event.Event) error {
	for _, ev := range evs {
		if _, err := t.emit(ev); err != nil {
			return err
		}
	}
	return nil
}

// PutSessionLimit writes a session's limit row (replacing it) and
// appends evs in the same transaction, and waits for the commit.
func (s *Store) PutSessionLimit(ctx context.Context, l SessionLimit, evs ...event.Event) error {
	return s.write(ctx, "put session limit", func(t *wtx) error {
		var auto any
		if l.AutoResume != nil {
			auto = *l.AutoResume
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT OR REPLACE INTO session_limits
			(session_id, auto_resume, reset_at, kind, http_status, message, prompt, run_id, armed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.SessionID, auto, nsOrNull(l.ResetAt), l.Kind, l.HTTPStatus,
			l.Message, l.Prompt, l.RunID, l.Armed); err != nil {
			return err
		}
		return emitAll(t, evs)
	})
}

// DeleteSessionLimit removes a session's limit row and appends evs in the
// same transaction.
func (s *Store) DeleteSessionLimit(ctx context.Context, sessionID string, evs ...event.Event) error {
	return s.write(ctx, "delete session limit", func(t *wtx) error {
		if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM session_limits WHERE session_id=?", sessionID); err != nil {
			return err
		}
		return emitAll(t, evs)
	})
}

// SessionLimits returns every session's limit row.
func (s *Store) SessionLimits(ctx context.Context) ([]SessionLimit, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT session_id, auto_resume, reset_at, kind, http_status, message,
		prompt, run_id, armed FROM session_limits ORDER BY session_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SessionLimit
	for rows.Next() {
		var l SessionLimit
		var auto sql.NullBool
		var reset sql.NullInt64
		if err := rows.Scan(&l.SessionID, &auto, &reset, &l.Kind, &l.HTTPStatus, &l.Message, &l.Prompt, &l.RunID, &l.Armed); err != nil {
			return nil, err
		}
		if auto.Valid {
			v := auto.Bool
			l.AutoResume = &v
		}
		l.ResetAt = timeOf(reset)
		out = append(out, l)
	}
	return out, rows.Err()
}

// PutSchedule writes a schedule (replacing one of the same id) and
// appends evs in the same transaction.
func (s *Store) PutSchedule(ctx context.Context, sc Schedule, evs ...event.Event) error {
	return s.write(ctx, "put schedule", func(t *wtx) error {
		if _, err := t.tx.ExecContext(t.ctx, `INSERT OR REPLACE INTO schedules
			(id, name, at, cron, prompt, session_id, agent, cwd, missed, paused, created_at, next_run_at,
			 last_run_at, last_result, last_run_id, last_session_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sc.ID, sc.Name, nsOrNull(sc.At), sc.Cron, sc.Prompt, sc.SessionID, sc.Agent, sc.Cwd, sc.Missed, sc.Paused,
			sc.CreatedAt.UnixNano(), nsOrNull(sc.NextRunAt), nsOrNull(sc.LastRunAt), sc.LastResult, sc.LastRunID,
			sc.LastSessionID); err != nil {
			return err
		}
		return emitAll(t, evs)
	})
}

// DeleteSchedule removes a schedule; ErrNotFound when there is none.
func (s *Store) DeleteSchedule(ctx context.Context, id string, evs ...event.Event) error {
	return s.write(ctx, "delete schedule", func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx, "DELETE FROM schedules WHERE id=?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		return emitAll(t, evs)
	})
}

// Schedules returns every schedule, oldest first.
func (s *Store) Schedules(ctx context.Context) ([]Schedule, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, at, cron, prompt, session_id, agent, cwd, missed, paused,
		created_at, next_run_at, last_run_at, last_result, last_run_id, last_session_id FROM schedules ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		var sc Schedule
		var at, next, last sql.NullInt64
		var created int64
		if err := rows.Scan(&sc.ID, &sc.Name, &at, &sc.Cron, &sc.Prompt, &sc.SessionID, &sc.Agent, &sc.Cwd, &sc.Missed,
			&sc.Paused, &created, &next, &last, &sc.LastResult, &sc.LastRunID, &sc.LastSessionID); err != nil {
			return nil, err
		}
		sc.At, sc.NextRunAt, sc.LastRunAt, sc.CreatedAt = timeOf(at), timeOf(next), timeOf(last), time.Unix(0, created)
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return out, nil
}
