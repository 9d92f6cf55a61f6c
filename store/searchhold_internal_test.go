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
	if h.texts != 2 || h.bytes != 18+2*(groupBodyCap+groupDocsCap) || !h.since.Equal(now) || len(h.full) != 0 || len(h.groups) != 2 {
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
// must be held again, not lost with it, and written later.
func TestAFailedCommitKeepsTheHeldTexts(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-s.searchDone // no job of the index's own comes after this
	holdForTest.Store(true)
	defer holdForTest.Store(false)
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
	// The batch went again without the held texts; they are written by
	// the next commit that writes held texts.
	holdForTest.Store(false)
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	hits, err := s.SearchEvents(ctx, SearchQuery{Query: "survivorword"})
	if err != nil || len(hits) != 1 {
		t.Fatalf("after a failed commit: %+v, %v (want the held text, once)", hits, err)
	}
}

// TestHeldTextsLetGoWhilePausedAreIndexedAgain: while writes of held texts
// are paused (a full disk), held texts past the bounds are let go and
// their streams unloaded; the stream's next load feeds its events from
// the mark to the index again, so each text is found once.
func TestHeldTextsLetGoWhilePausedAreIndexedAgain(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-s.searchDone
	holdForTest.Store(true)
	defer holdForTest.Store(false)
	for _, w := range []string{"firstheld", "secondheld"} {
		ev := event.New(event.ToolResult, agent.ToolResultData{Output: w})
		ev.SessionID = "a"
		if err := s.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// The writer is idle (Sync returned): its state is the test's until
	// the next item is queued.
	w := s.w
	if w.held.texts != 2 || len(w.held.marked) != 1 || w.streams["a"] == nil {
		t.Fatalf("held %d texts of %v", w.held.texts, w.held.marked)
	}
	w.heldPaused = true
	w.held.bytes = maxHeldBytes
	w.afterHeldCommit()
	if w.held.texts != 0 || w.streams["a"] != nil || w.heldPaused {
		t.Fatalf("after letting go: %d texts held, stream loaded %v, paused %v", w.held.texts, w.streams["a"] != nil, w.heldPaused)
	}
	holdForTest.Store(false)
	ev := event.New(event.ToolResult, agent.ToolResultData{Output: "thirdword"})
	ev.SessionID = "a"
	if _, err := s.AppendWait(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"firstheld", "secondheld", "thirdword"} {
		hits, err := s.SearchEvents(ctx, SearchQuery{Query: q})
		if err != nil || len(hits) != 1 {
			t.Errorf("%s: %+v, %v (want one hit)", q, hits, err)
		}
	}
}
