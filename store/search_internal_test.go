package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/corral-dev/corral/event"
)

// TestSearchIndexesADatabaseOfVersion3 writes a database, takes it back to
// version 3 (before the search index), opens it with this
// binary, and checks that the background indexing makes every stored
// event searchable in several bounded steps, logs its progress, and
// leaves new events indexed as they are stored.
func TestSearchIndexesADatabaseOfVersion3(t *testing.T) {
	testSearchAfterUpgrade(t, []string{"DROP TABLE search", "DELETE FROM meta WHERE key LIKE 'search%'", "DROP TABLE IF EXISTS queued_messages", "DROP TABLE IF EXISTS attachments", "DROP TABLE IF EXISTS devices", "DROP TABLE IF EXISTS push_subscriptions", "DROP TABLE IF EXISTS push_devices",
		"ALTER TABLE sessions DROP COLUMN pinned", "ALTER TABLE sessions DROP COLUMN archived", "ALTER TABLE sessions DROP COLUMN title_user",
		"PRAGMA user_version=3"})
}

// TestSearchRebuildsAnIndexOfOneRowPerEvent: a database whose index is the
// first one (a row per event, fully built) opens with the grouped index,
// and the background indexing makes every stored event searchable again.
func TestSearchRebuildsAnIndexOfOneRowPerEvent(t *testing.T) {
	v := groupsMigration()
	testSearchAfterUpgrade(t, []string{"DROP TABLE search",
		"CREATE VIRTUAL TABLE search USING fts5(body, sess, kind UNINDEXED, seq UNINDEXED, at UNINDEXED, tokenize='unicode61', prefix='2 3', columnsize=0)",
		"INSERT INTO search(rowid, body, sess, kind, seq, at) VALUES(1, 'oldrowword', 's1', 'tool.result', 1, 0)",
		"UPDATE meta SET value=(SELECT max(first_cursor) FROM event_blocks) WHERE key IN ('search_done', 'search_upto')",
		fmt.Sprintf("PRAGMA user_version=%d", v-1)})
}

// dropHeldColumn takes a database back before the streams' search_held
// column (migration 16), as the tests that go back further need.
const dropHeldColumn = "ALTER TABLE streams DROP COLUMN search_held"

// groupsMigration is the number of the migration to the grouped index.
func groupsMigration() int {
	for i, m := range migrations {
		if m.sql == searchGroupsSQL {
			return i + 1
		}
	}
	panic("no migration to the grouped search index")
}

// testSearchAfterUpgrade writes a database, takes it back to an older
// version with the statements back, opens it with this binary, and checks
// that the background indexing makes every stored event searchable in
// several bounded steps, logs its progress, and leaves new events indexed
// as they are stored.
func testSearchAfterUpgrade(t *testing.T, back []string) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	var seqs []int64
	count := map[string]int64{}
	for i := 0; i < 600; i++ {
		// Three sessions taking turns by five events: every block holds
		// five, so the backfill needs two steps of backfillBlocks blocks.
		sess := fmt.Sprintf("old%d", i/5%3)
		count[sess]++
		seqs = append(seqs, count[sess])
		var e event.Event
		switch i % 5 {
		case 0:
			e = event.New(event.RunStarted, map[string]any{"prompt": fmt.Sprintf("prompt p%dq", i)})
		case 1:
			e = event.New(event.AssistantText, map[string]any{"text": fmt.Sprintf("pie ce%d", i), "delta": true})
		case 2:
			e = event.New(event.AssistantText, map[string]any{"text": fmt.Sprintf("s%d", i), "delta": true})
		case 3:
			e = event.New(event.ToolCall, map[string]any{"id": "t", "name": "Read", "input": json.RawMessage(fmt.Sprintf(`{"file_path":"/src/f%d.go"}`, i))})
		default:
			e = event.New(event.ToolResult, map[string]any{"id": "t", "output": fmt.Sprintf("result r%dq", i)})
		}
		e.SessionID = sess
		evs = append(evs, e)
	}
	sys := event.New(event.ErrorKind, map[string]any{"message": "systemstreamword"})
	if _, err := s.AppendWait(ctx, append(evs, sys)...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append([]string{dropHeldColumn}, back...) {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()

	old := backfillLogAbove
	backfillLogAbove = 100
	defer func() { backfillLogAbove = old }()
	var mu sync.Mutex
	var logs []string
	s, err = Open(dir, Options{Logf: func(f string, a ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(f, a...))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := schemaVersion(ctx, s.rdb); v != SchemaVersion() {
		t.Fatalf("version %d after open, want %d", v, SchemaVersion())
	}
	after, err := s.AppendWait(ctx, event.Event{SessionID: "old1", Kind: event.ToolResult, Data: json.RawMessage(`{"output":"newafterupgrade"}`)})
	if err != nil {
		t.Fatal(err)
	}
	<-s.searchDone
	var done, upto int64
	if err := s.rdb.QueryRow("SELECT (SELECT value FROM meta WHERE key='search_done'), (SELECT value FROM meta WHERE key='search_upto')").Scan(&done, &upto); err != nil || done < upto || upto != 601 {
		t.Fatalf("progress mark %d of %d (%v), want all of 601", done, upto, err)
	}
	for i, e := range evs {
		var q string
		switch i % 5 {
		case 0:
			q = fmt.Sprintf("p%dq", i)
		case 1:
			q = fmt.Sprintf("ce%ds%d", i, i+1) // the pieces of one message, joined
		case 3:
			q = fmt.Sprintf("f%d.go", i)
		case 4:
			q = fmt.Sprintf("r%dq", i)
		default:
			continue
		}
		hits, err := s.SearchEvents(ctx, SearchQuery{Query: q})
		if err != nil || len(hits) != 1 || hits[0].SessionID != e.SessionID || hits[0].Seq != seqs[i] {
			t.Fatalf("%q (event %d, session %s seq %d): %+v %v", q, i, e.SessionID, seqs[i], hits, err)
		}
	}
	if hits, err := s.SearchEvents(ctx, SearchQuery{Query: "systemstreamword"}); err != nil || len(hits) != 0 {
		t.Errorf("the system stream is not indexed, got %+v %v", hits, err)
	}
	if hits, err := s.SearchEvents(ctx, SearchQuery{Query: "newafterupgrade"}); err != nil || len(hits) != 1 || hits[0].Seq != after[0].Seq {
		t.Errorf("new event: %+v %v", hits, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) < 2 || !strings.Contains(logs[len(logs)-1], "601 of 601") {
		t.Errorf("progress log %q, want a first and a last line", logs)
	}
}

// TestMatchExprs pins how a user's words become FTS5 expressions.
func TestMatchExprs(t *testing.T) {
	for q, want := range map[string][2]string{
		"foo":              {`body : ("foo")`, `body : ("foo"*)`},
		"foo bar":          {`body : ("foo" AND "bar")`, `body : ("foo" AND "bar"*)`},
		`say "hi" NEAR x*`: {`body : ("say" AND """hi""" AND "NEAR" AND "x*")`, `body : ("say" AND """hi""" AND "NEAR" AND "x*"*)`},
		"a-b - c":          {`body : ("a-b" AND "c")`, `body : ("a-b" AND "c")`},
		"  tab\tsep ":      {`body : ("tab" AND "sep")`, `body : ("tab" AND "sep"*)`},
	} {
		exact, prefix, err := matchExprs(q)
		if err != nil || exact != want[0] || prefix != want[1] {
			t.Errorf("matchExprs(%q) = %s, %s, %v; want %s, %s", q, exact, prefix, err, want[0], want[1])
		}
	}
}

// TestSearchGroupsTheTextsOfATransaction: the texts one transaction
// stores for a stream share index rows (at most maxGroupDocs each), and
// each is found at its own seq with a snippet of its own text.
func TestSearchGroupsTheTextsOfATransaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := make([]event.Event, 2*maxGroupDocs+1)
	for i := range evs {
		evs[i] = event.New(event.ToolResult, map[string]any{"output": fmt.Sprintf("shared t%dq", i)})
		evs[i].SessionID = "g"
	}
	out, err := s.AppendWait(ctx, evs...)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.rdb.QueryRow("SELECT count(*) FROM search").Scan(&rows); err != nil || rows != 3 {
		t.Fatalf("%d index rows for %d texts (%v), want 3", rows, len(evs), err)
	}
	for i, e := range out {
		hits, err := s.SearchEvents(ctx, SearchQuery{Query: fmt.Sprintf("t%dq", i)})
		want := fmt.Sprintf("shared %st%dq%s", HighlightStart, i, HighlightEnd)
		if err != nil || len(hits) != 1 || hits[0].Seq != e.Seq || hits[0].Snippet != want {
			t.Fatalf("t%dq: %+v %v, want seq %d and %q", i, hits, err, e.Seq, want)
		}
	}
	hits, err := s.SearchEvents(ctx, SearchQuery{Query: "shared", Limit: 5})
	if err != nil || len(hits) != 5 || hits[0].Seq != out[len(out)-1].Seq || hits[4].Seq != out[len(out)-5].Seq {
		t.Fatalf("newest five: %+v %v", hits, err)
	}
}

// TestSearchRebuildIndexesAnOpenMessageOnce: a database whose last block
// ends with the pieces of a message that has not ended, after its first
// event, opens with the grouped index; the message is indexed once,
// whichever of the background indexing and the writer's recovery of the
// stream comes first, because the rebuild covers every stored event.
func TestSearchRebuildIndexesAnOpenMessageOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	evs := []event.Event{
		event.New(event.ToolResult, map[string]any{"output": "firstword"}),
		event.New(event.AssistantText, map[string]any{"text": "open mes", "delta": true}),
		event.New(event.AssistantText, map[string]any{"text": "sagepart", "delta": true}),
	}
	for i := range evs {
		evs[i].SessionID = "m"
	}
	out, err := s.AppendWait(ctx, evs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{dropHeldColumn, "DROP TABLE search",
		"CREATE VIRTUAL TABLE search USING fts5(body, sess, kind UNINDEXED, seq UNINDEXED, at UNINDEXED, tokenize='unicode61', prefix='2 3', columnsize=0)",
		"UPDATE meta SET value=(SELECT max(first_cursor) FROM event_blocks) WHERE key IN ('search_done', 'search_upto')",
		fmt.Sprintf("PRAGMA user_version=%d", groupsMigration()-1)} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	var mu sync.Mutex
	var logs []string
	s, err = Open(dir, Options{Logf: func(f string, a ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(f, a...))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var upto int64
	if err := s.rdb.QueryRow("SELECT value FROM meta WHERE key='search_upto'").Scan(&upto); err != nil || upto != out[2].Cursor {
		t.Fatalf("search_upto %d (%v), want the last cursor %d", upto, err, out[2].Cursor)
	}
	end := event.New(event.ToolResult, map[string]any{"output": "lastword"})
	end.SessionID = "m"
	if _, err := s.AppendWait(ctx, end); err != nil {
		t.Fatal(err)
	}
	<-s.searchDone
	hits, err := s.SearchEvents(ctx, SearchQuery{Query: "messagepart"})
	if err != nil || len(hits) != 1 || hits[0].Seq != out[1].Seq {
		t.Fatalf("messagepart: %+v %v, want one hit at seq %d", hits, err, out[1].Seq)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, l := range logs {
		if strings.Contains(l, "trying again") {
			t.Errorf("backfill failed: %s", l)
		}
	}
}

// TestIsTokenRuneASCII: the fast answer for ASCII is the tables' answer.
func TestIsTokenRuneASCII(t *testing.T) {
	for r := rune(0); r < utf8.RuneSelf; r++ {
		if got, want := isTokenRune(r), unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r); got != want {
			t.Errorf("isTokenRune(%q) = %v, want %v", r, got, want)
		}
	}
}

// slowTokenIs is what tokenIs answers, by its definition: tok in lower
// case, rune by rune, is p (or, with prefix, starts with it).
func slowTokenIs(tok, p string, prefix bool) bool {
	lower := strings.Map(unicode.ToLower, tok)
	if prefix {
		return strings.HasPrefix(lower, p)
	}
	return lower == p
}

func FuzzTokenIs(f *testing.F) {
	for _, s := range [][2]string{{"Config", "config"}, {"\u212Aey", "key"}, {"KEY", "ke"}, {"café", "café"}, {"CAFÉ", "café"}, {"ab", "abc"}, {"", ""}} {
		f.Add(s[0], s[1], true)
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, tok, q string, prefix bool) {
		p := strings.ToLower(q)
		if got, want := tokenIs(tok, p, prefix), slowTokenIs(tok, p, prefix); got != want {
			t.Errorf("tokenIs(%q, %q, %v) = %v, want %v", tok, p, prefix, got, want)
		}
	})
}
