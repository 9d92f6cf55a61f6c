package store_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func TestPinArchiveAndUserTitle(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s1", Agent: "claude", Cwd: "/w", Title: "auto"}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.GetSession("s1")
	if before.Pinned || before.Archived || before.TitleByUser {
		t.Fatalf("new session has flags: %+v", before)
	}
	if x, err := s.SetPinned(ctx, "s1", true); err != nil || !x.Pinned || x.Archived {
		t.Fatalf("pin: %+v %v", x, err)
	}
	if x, err := s.SetArchived(ctx, "s1", true); err != nil || !x.Pinned || !x.Archived {
		t.Fatalf("archive: %+v %v", x, err)
	}
	if _, err := s.RenameSession(ctx, "s1", "Mine"); err != nil {
		t.Fatal(err)
	}
	l, err := s.ListSessions(0)
	if err != nil || len(l) != 1 || !l[0].Pinned || !l[0].Archived || !l[0].TitleByUser {
		t.Fatalf("list: %+v %v", l, err)
	}
	if !l[0].LastActivity.Equal(before.LastActivity) {
		t.Fatal("pinning counted as activity")
	}
	evs, _ := s.Events("s1", 0, 0)
	var last store.SessionUpdatedData
	n := 0
	for _, ev := range evs {
		if ev.Kind == event.SessionUpdated {
			n++
			if n == 2 {
				json.Unmarshal(ev.Data, &last)
			}
		}
	}
	if n != 3 || last.Pinned == nil || !*last.Pinned || last.Archived == nil || !*last.Archived || last.Title != "" {
		t.Fatalf("%d session.updated events, the archive one %+v", n, last)
	}
	// An automatic rewrite of the record keeps the person's flags.
	s.QueueUpdateSession("s1", func(x *store.Session) error { x.Status = "idle"; return nil })
	s.Sync(ctx)
	if x, _ := s.GetSession("s1"); !x.Pinned || !x.Archived || !x.TitleByUser {
		t.Fatalf("flags lost by an update: %+v", x)
	}
	s.Close()
	s = open(t, dir, store.Options{})
	if x, _ := s.GetSession("s1"); !x.Pinned || !x.TitleByUser {
		t.Fatalf("flags lost across reopen: %+v", x)
	}
	if _, err := s.SetPinned(ctx, "nope", true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pin of a missing session: %v", err)
	}
}
