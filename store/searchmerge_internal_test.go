package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

// TestSearchMergesWhenQuiet: with FTS5's automerge off, the documents of
// many small commits sit in many segments until the store is quiet; then
// the merger folds them together (fewer rows in the index's data table),
// and every document is still found.
func TestSearchMergesWhenQuiet(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var automerge int
	if err := s.rdb.QueryRow("SELECT v FROM search_config WHERE k='automerge'").Scan(&automerge); err != nil || automerge != 0 {
		t.Fatalf("automerge %d, %v", automerge, err)
	}
	for i := 0; i < 60; i++ { // one commit, one segment each
		ev := event.New(event.ToolResult, map[string]any{"id": "t", "output": fmt.Sprintf("merged%d common words here", i)})
		ev.SessionID = "m"
		if _, err := s.AppendWait(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() int {
		var n int
		if err := s.rdb.QueryRow("SELECT count(*) FROM search_data").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := rows()
	deadline := time.Now().Add(60 * time.Second) // (hang protection)
	for s.merger.docs.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the quiet store never merged its search index")
		}
		time.Sleep(50 * time.Millisecond)
	}
	after := rows()
	t.Logf("search_data rows: %d before the merge, %d after", before, after)
	if after >= before {
		t.Fatalf("search_data rows %d before the merge, %d after", before, after)
	}
	for i := 0; i < 60; i += 7 {
		hits, err := s.SearchEvents(ctx, SearchQuery{Query: fmt.Sprintf("merged%d", i)})
		if err != nil || len(hits) != 1 {
			t.Fatalf("merged%d: %+v %v", i, hits, err)
		}
	}
	if hits, err := s.SearchEvents(ctx, SearchQuery{Query: "common", Limit: 100}); err != nil || len(hits) != 60 {
		t.Fatalf("common: %d hits, %v", len(hits), err)
	}
}

// TestSearchLeavesFillPages: FTS5 writes the index's segments in leaves of
// searchPageSize bytes, not its default of 4050, on a new file and on one
// opened again.
func TestSearchLeavesFillPages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for open := 0; open < 2; open++ {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var pgsz string
		if err := s.rdb.QueryRow("SELECT v FROM search_config WHERE k='pgsz'").Scan(&pgsz); err != nil || pgsz != searchPageSize {
			t.Fatalf("open %d: pgsz %q, %v", open, pgsz, err)
		}
		var b strings.Builder
		for i := 0; b.Len() < maxDocText-16; i++ {
			fmt.Fprintf(&b, "w%dx%d ", open, i) // distinct words: a large leaf
		}
		ev := event.New(event.ToolResult, map[string]any{"id": "t", "output": b.String()})
		ev.SessionID = "leaf"
		if _, err := s.AppendWait(ctx, ev); err != nil {
			t.Fatal(err)
		}
		var longest int
		if err := s.rdb.QueryRow("SELECT max(length(block)) FROM search_data").Scan(&longest); err != nil {
			t.Fatal(err)
		}
		if longest <= 4050 {
			t.Errorf("open %d: longest leaf %d bytes, want more than FTS5's default 4050", open, longest)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
