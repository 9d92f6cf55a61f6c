package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
)

func TestWriteHeld(t *testing.T) {
	for _, c := range []struct {
		texts, bytes     int
		age              time.Duration
		drained, withJob bool
		want             bool
	}{
		{0, 0, 0, true, true, false}, // nothing held
		{1, 10, 0, true, false, true},
		{1, 10, 0, false, true, true},
		{1, 10, 0, false, false, false}, // a flood: hold
		{maxHeldTexts - 1, 10, maxHeldAge - 1, false, false, false},
		{maxHeldTexts, 10, 0, false, false, true},
		{1, maxHeldBytes, 0, false, false, true},
		{1, 10, maxHeldAge, false, false, true},
	} {
		if got := writeHeld(c.texts, c.bytes, c.age, c.drained, c.withJob); got != c.want {
			t.Errorf("writeHeld(%d, %d, %v, %v, %v) = %v, want %v", c.texts, c.bytes, c.age, c.drained, c.withJob, got, c.want)
		}
	}
}

// TestHeldIndexRewind: a transaction's texts, including a group it
// filled, are taken back by rewind; what was held before stays as it was.
func TestHeldIndexRewind(t *testing.T) {
	var h heldIndex
	now := time.Unix(100, 0)
	h.put(1, 1, 1, event.ToolResult, 0, "kept one", now)
	h.put(2, 2, 1, event.ToolResult, 0, "kept two", now)
	m := h.mark()
	for i := range maxGroupDocs + 3 {
		h.put(1, int64(10+i), int64(2+i), event.ToolResult, 0, "taken back", now.Add(time.Second))
	}
	h.put(3, 99, 1, event.ToolResult, 0, "new stream", now)
	h.rewind(m)
	if h.texts != 2 || h.bytes != 18 || !h.since.Equal(now) || len(h.full) != 0 || len(h.groups) != 2 {
		t.Fatalf("after rewind: %d texts, %d bytes, since %v, %d full groups, %d groups", h.texts, h.bytes, h.since, len(h.full), len(h.groups))
	}
	for sid, want := range map[int64]string{1: "kept one\n", 2: "kept two\n"} {
		g := h.groups[sid]
		es, err := decodeDocEntries(g.docs, len(g.body))
		if string(g.body) != want || g.n != 1 || err != nil || len(es) != 1 {
			t.Errorf("stream %d after rewind: body %q, n %d, entries %v (%v)", sid, g.body, g.n, es, err)
		}
	}
}

// TestAFailedCommitKeepsTheHeldTexts: texts held over earlier commits are
// written by a transaction that then fails (the disk refuses a job); they
// must be held again, not lost with it, and written by the next commit.
func TestAFailedCommitKeepsTheHeldTexts(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-s.searchDone // no job of the index's own comes after this
	holdForTest = true
	defer func() { holdForTest = false }()
	ev := event.New(event.ToolResult, agent.ToolResultData{Output: "survivorword"})
	ev.SessionID = "a"
	if err := s.Append(ev); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if hits, err := s.SearchEvents(ctx, SearchQuery{Query: "survivorword"}); err != nil || len(hits) != 0 {
		t.Fatalf("the text is not held: %v, %v", hits, err)
	}
	attempts := 0
	if _, err := s.w.submit(ctx, func(t *wtx) error {
		attempts++
		if attempts == 1 {
			return &Unavailable{Op: "append", Kind: ErrDiskFull, Err: errors.New("disk full")}
		}
		return nil
	}, false); err != nil || attempts != 2 {
		t.Fatalf("job: %v after %d attempts", err, attempts)
	}
	hits, err := s.SearchEvents(ctx, SearchQuery{Query: "survivorword"})
	if err != nil || len(hits) != 1 {
		t.Fatalf("after a failed commit and its salvage: %+v, %v (want the held text, once)", hits, err)
	}
}
