package store

import (
	"context"
	"fmt"
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
