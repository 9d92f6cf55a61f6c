package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

// TestMigrationDropsSettingsAndLedger builds a version-2 file whose settings
// and ledger tables hold rows, opens it, and checks that it opens, that the
// two tables are gone, and that sessions and events written before survive.
func TestMigrationDropsSettingsAndLedger(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range []string{"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL", migrations[0].sql, "PRAGMA user_version=1"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	now := time.Now().UnixNano()
	for _, q := range []string{
		migrations[1].sql,
		"DROP TABLE events",
		"PRAGMA user_version=2",
		"INSERT INTO settings(key, value) VALUES('theme', 'dark')",
		"INSERT INTO ledger(pid, start_time, pgid, owner, command, added_at) VALUES(100, 5, 100, 'run:r1', 'claude', 1)",
		"INSERT INTO sessions(id, status, created_at, updated_at, last_activity) VALUES('old', 'idle', 1, 1, 1)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	var b block
	ev := event.Event{Cursor: 1, Seq: 1, Time: time.Unix(0, now), Kind: event.Stdout, Data: []byte(`{"n":1}`)}
	b.start(1, &ev)
	b.add(&ev)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO streams(sid, session_id, last_seq, first_seq, raw_from, events) VALUES(1, 'old', 1, 1, 1, 1)", nil},
		{insertBlockSQL, []any{b.firstCursor, b.sid, b.firstSeq, b.lastSeq(), b.body}},
		{"UPDATE meta SET value=1 WHERE key='cursor'", nil},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(q.sql, err)
		}
	}
	db.Close()

	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("opening a version-2 database: %v", err)
	}
	defer s.Close()
	if v, err := schemaVersion(ctx, s.rdb); err != nil || v != SchemaVersion() || v < 3 {
		t.Fatalf("schema version %d (%v), want %d", v, err, SchemaVersion())
	}
	var n int
	if err := s.rdb.QueryRow("SELECT count(*) FROM sqlite_master WHERE name IN ('settings', 'ledger')").Scan(&n); err != nil || n != 0 {
		t.Fatalf("settings or ledger table still there (%d, %v)", n, err)
	}
	if x, err := s.GetSession("old"); err != nil || x.Status != "idle" {
		t.Fatalf("session after migration: %+v %v", x, err)
	}
	evs, err := s.Events("old", 0, 10)
	if err != nil || len(evs) != 1 || string(evs[0].Data) != `{"n":1}` {
		t.Fatalf("events after migration: %+v %v", evs, err)
	}
	out, err := s.AppendWait(ctx, event.Event{SessionID: "old", Kind: event.Stdout})
	if err != nil || out[0].Cursor != 2 || out[0].Seq != 2 {
		t.Fatalf("append after migration: %+v %v", out, err)
	}
}
