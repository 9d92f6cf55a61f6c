package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/corral-dev/corral/event"
)

// A migration brings the schema from one version to the next: its SQL, then
// its Go step (when data must be rewritten in a way SQL cannot express).
type migration struct {
	sql  string
	step func(ctx context.Context, tx *sql.Tx) error
}

// migrations[i] brings the schema from version i to i+1. The version lives
// in PRAGMA user_version. Never edit a released entry: append a new one.
var migrations = []migration{
	// 1: initial schema.
	{sql: `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('cursor', 0);

-- One row per session, small and indexed: ListSessions reads only this.
CREATE TABLE sessions (
	id                 TEXT PRIMARY KEY,
	agent              TEXT NOT NULL DEFAULT '',
	cwd                TEXT NOT NULL DEFAULT '',
	model              TEXT NOT NULL DEFAULT '',
	permission_mode    TEXT NOT NULL DEFAULT '',
	title              TEXT NOT NULL DEFAULT '',
	agent_session_id   TEXT NOT NULL DEFAULT '',
	status             TEXT NOT NULL,
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL,
	last_activity      INTEGER NOT NULL,
	messages           INTEGER NOT NULL DEFAULT 0,
	input_tokens       INTEGER NOT NULL DEFAULT 0,
	output_tokens      INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd           REAL    NOT NULL DEFAULT 0,
	meta               TEXT
);
CREATE INDEX sessions_by_activity ON sessions(last_activity DESC);
CREATE INDEX sessions_by_status ON sessions(status);

-- A stream is the event log of one session; the session id '' is the system
-- stream. sid keeps the event rows and their index small.
CREATE TABLE streams (
	sid        INTEGER PRIMARY KEY,
	session_id TEXT NOT NULL UNIQUE,
	last_seq   INTEGER NOT NULL DEFAULT 0,  -- highest seq ever assigned
	first_seq  INTEGER NOT NULL DEFAULT 1,  -- oldest seq still stored
	raw_from   INTEGER NOT NULL DEFAULT 1,  -- raw payloads below this seq were trimmed
	events     INTEGER NOT NULL DEFAULT 0,  -- events stored
	bytes      INTEGER NOT NULL DEFAULT 0   -- sum of length(data)+length(raw) stored
);

-- The event log. cursor is the rowid: store-wide commit order.
CREATE TABLE events (
	cursor  INTEGER PRIMARY KEY,
	sid     INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	time    INTEGER NOT NULL,          -- unix nanoseconds
	kind    TEXT NOT NULL,
	run_id  TEXT,
	proc_id TEXT,
	data    BLOB,                      -- normalized JSON, stored as given
	raw     BLOB                       -- the agent's original line, when any
);
CREATE UNIQUE INDEX events_by_stream ON events(sid, seq);

CREATE TABLE runs (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	process_id TEXT NOT NULL DEFAULT '',
	command    TEXT NOT NULL DEFAULT '',
	started_at INTEGER NOT NULL,
	ended_at   INTEGER,                -- NULL until the terminal event
	exit_code  INTEGER,
	reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_session ON runs(session_id);
CREATE INDEX runs_open ON runs(ended_at) WHERE ended_at IS NULL;

CREATE TABLE permissions (
	id          TEXT PRIMARY KEY,
	session_id  TEXT NOT NULL,
	run_id      TEXT NOT NULL DEFAULT '',
	tool        TEXT NOT NULL DEFAULT '',
	input       TEXT,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER,
	status      TEXT NOT NULL,         -- pending | allow | deny | expired
	decided_by  TEXT NOT NULL DEFAULT '',
	decided_at  INTEGER,
	message     TEXT NOT NULL DEFAULT '',
	remember    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX permissions_by_session ON permissions(session_id);
CREATE INDEX permissions_pending ON permissions(status) WHERE status = 'pending';

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- Processes the supervisor started, for the orphan sweep at start-up.
CREATE TABLE ledger (
	pid        INTEGER NOT NULL,
	start_time INTEGER NOT NULL,
	pgid       INTEGER NOT NULL,
	owner      TEXT NOT NULL DEFAULT '',
	command    TEXT NOT NULL DEFAULT '',
	added_at   INTEGER NOT NULL,
	PRIMARY KEY (pid, start_time)
) WITHOUT ROWID;
`},
	// 2: the event log moves from a row per event to blocks of consecutive
	// events (block.go explains why); existing events are carried over.
	{sql: `
CREATE TABLE event_blocks (
	first_cursor INTEGER PRIMARY KEY, -- cursor of the first event; the next ones follow by one
	sid          INTEGER NOT NULL,    -- the stream (streams.sid)
	first_seq    INTEGER NOT NULL,    -- seq of the first event; the next ones follow by one
	last_seq     INTEGER NOT NULL,
	body         BLOB NOT NULL        -- the events, encoded as block.add describes
);
CREATE UNIQUE INDEX event_blocks_by_seq ON event_blocks(sid, first_seq);
CREATE INDEX event_blocks_by_cursor ON event_blocks(sid, first_cursor);
`, step: eventsToBlocks},
	// 3: the settings and ledger tables go: nothing in corral read or
	// wrote them (the supervisor keeps its ledger in a file of its own,
	// supervise.FileLedger). A database with rows there loses only those.
	{sql: `
DROP TABLE IF EXISTS settings;
DROP TABLE IF EXISTS ledger;
`},
	// 4: the full-text search index (searchindex.go); the events already
	// stored are indexed in the background after Open (searchbackfill.go).
	{sql: searchSchemaSQL},
	// 5: the queue of messages sent while a turn runs (queue.go).
	{sql: queueSchemaSQL},
	// 6: sessions get a person's flags: pinned, archived, a title of their
	// own (sessionflags.go).
	{sql: sessionFlagsSQL},
	// 7: session limits (auto-resume timers) and schedules (limits.go).
	{sql: limitsSchemaSQL},
	// 8: the daily usage rollup and the session budgets (usage_schema.go).
	{sql: usageSchemaSQL},
	// 9: files attached to user messages (attachments.go).
	{sql: attachmentsSQL},
	// 10: replicas of fleet sessions: the owning runner of a session, and
	// the publisher's watermarks (replica.go).
	{sql: replicaSchemaSQL, step: addRunnerColumn},
	// 11: the rate-limit windows the agents report (ratewindows.go).
	{sql: rateWindowsSQL},
	// 12: devices paired for remote access (devices.go).
	{sql: devicesSQL},
	// 13: Web Push subscriptions and each device's push events (push.go).
	{sql: pushSchemaSQL},
	// 14: the distinct-session counts of the usage groupings by agent,
	// model and project, pre-aggregated (usage_groups_schema.go); built
	// from the usage rollup already stored.
	{sql: usageGroupsSchemaSQL},
	// 15: the search index in groups of texts, one row per stream and
	// transaction (searchgroup.go); the stored events are indexed again in
	// the background (searchbackfill.go).
	{sql: searchGroupsSQL},
	// 16: each stream's mark of the search texts the writer holds in
	// memory under a flood (searchhold.go).
	{sql: searchHeldSQL},
}

// eventsToBlocks moves the rows of the version-1 events table into blocks
// and drops the table.
func eventsToBlocks(ctx context.Context, tx *sql.Tx) error {
	ins, err := tx.PrepareContext(ctx, "INSERT INTO event_blocks(first_cursor, sid, first_seq, last_seq, body) VALUES(?,?,?,?,?)")
	if err != nil {
		return err
	}
	defer ins.Close()
	rows, err := tx.QueryContext(ctx, "SELECT cursor, sid, seq, time, kind, ifnull(run_id,''), ifnull(proc_id,''), data, raw FROM events ORDER BY cursor")
	if err != nil {
		return err
	}
	defer rows.Close()
	var b block
	flush := func() error {
		if b.n == 0 {
			return nil
		}
		_, err := ins.ExecContext(ctx, b.firstCursor, b.sid, b.firstSeq, b.lastSeq(), b.body)
		b.reset()
		return err
	}
	for rows.Next() {
		var ev event.Event
		var sid, ns int64
		var data, raw []byte
		if err := rows.Scan(&ev.Cursor, &sid, &ev.Seq, &ns, &ev.Kind, &ev.RunID, &ev.ProcessID, &data, &raw); err != nil {
			return err
		}
		ev.Time, ev.Data, ev.Raw = time.Unix(0, ns), data, raw
		if !b.fits(sid, &ev) {
			if err := flush(); err != nil {
				return err
			}
			b.start(sid, &ev)
		}
		b.add(&ev)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	rows.Close()
	_, err = tx.ExecContext(ctx, "DROP TABLE events")
	return err
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// migrate runs the pending migrations, each in its own transaction together
// with the version bump, so a crash mid-way leaves a consistent version.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	v, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return &TooNew{Path: path, Have: v, Know: len(migrations)}
	}
	for ; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		m := migrations[v]
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", v+1, err)
		}
		if m.step != nil {
			if err := m.step(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: migration %d: %w", v+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version=%d", v+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
