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
// written by a transaction that then fails (the disk refuses a job); the
// batch goes again without them, and they must not be lost with the
// failed attempt but written afterwards, by the writer itself (its armed
// retry, or the quiet merger's job) when nothing else comes.
func TestAFailedCommitKeepsTheHeldTexts(t *testing.T) {
	ctx := context.Background()
	defer SetLossRetry(SetLossRetry(10 * time.Millisecond))
	s := holdingStore(t)
	appendHeld(t, s, "a", "survivorword")
	if hits, err := s.SearchEvents(ctx, SearchQuery{Query: "survivorword"}); err != nil || len(hits) != 0 {
		t.Fatalf("the text is not held: %v, %v", hits, err)
	}
	attempts := 0
	if _, err := s.w.submit(ctx, func(t *wtx) error {
		attempts++
		if attempts == 1 {
			return &Unavailable{Op: "append", Kind: ErrDiskFull, Err: errors.New("disk full")}
		}
		holdForTest.Store(false)
		return nil
	}, false); err != nil || attempts != 2 {
		t.Fatalf("job: %v after %d attempts", err, attempts)
	}
	for i := 0; ; i++ {
		hits, err := s.SearchEvents(ctx, SearchQuery{Query: "survivorword"})
		if err == nil && len(hits) == 1 {
			break
		}
		if err != nil || len(hits) > 1 || i == 1000 {
			t.Fatalf("after a failed commit: %+v, %v (want the held text, once, without another append)", hits, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// holdingStore opens a store whose writer holds the search texts of plain
// appends (holdForTest) once the index's own jobs after Open are done; the
// test's cleanup ends the holding and closes the store.
func holdingStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	<-s.searchDone // no job of the index's own comes after this
	holdForTest.Store(true)
	t.Cleanup(func() { holdForTest.Store(false) })
	return s
}

// appendHeld appends a tool result with text to session and waits for its
// commit (Sync), its text held.
func appendHeld(t *testing.T, s *Store, session, text string) {
	t.Helper()
	ev := event.New(event.ToolResult, agent.ToolResultData{Output: text})
	ev.SessionID = session
	if err := s.Append(ev); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitHeldWritten waits until the writer holds no text and its writes of
// held texts no longer fail (its armed retry wrote them).
func waitHeldWritten(t *testing.T, s *Store) {
	t.Helper()
	for i := 0; ; i++ {
		// (read through a job: the writer's state is its own)
		out, err := s.w.submit(context.Background(), func(t *wtx) error {
			t.answer(t.w.heldFailing || !t.w.held.empty())
			return nil
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		if busy, _ := out.(bool); !busy {
			return
		}
		if i == 1000 {
			t.Fatal("the held texts were not written")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestADeletedSessionsHeldTextsAreNotWritten: a session deleted by a
// transaction that keeps the held texts (the retry of a batch that failed
// with them) must not have its texts written afterwards, when its sid may
// belong to another stream.
func TestADeletedSessionsHeldTextsAreNotWritten(t *testing.T) {
	ctx := context.Background()
	defer SetLossRetry(SetLossRetry(10 * time.Millisecond))
	s := holdingStore(t)
	appendHeld(t, s, "gone", "goneword")
	appendHeld(t, s, "kept", "keptword")
	attempts := 0
	if _, err := s.w.submit(ctx, func(t *wtx) error {
		attempts++
		if attempts == 1 {
			return &Unavailable{Op: "append", Kind: ErrDiskFull, Err: errors.New("disk full")}
		}
		return t.unindexSession("gone")
	}, false); err != nil || attempts != 2 || s.w.held.texts != 1 {
		t.Fatalf("job: %v after %d attempts, %d texts held (want the kept one)", err, attempts, s.w.held.texts)
	}
	holdForTest.Store(false)
	// The writer's armed retry writes the held texts.
	waitHeldWritten(t, s)
	for q, want := range map[string]int{"goneword": 0, "keptword": 1} {
		if hits, err := s.SearchEvents(ctx, SearchQuery{Query: q}); err != nil || len(hits) != want {
			t.Errorf("%s: %+v, %v (want %d hits)", q, hits, err, want)
		}
	}
}
