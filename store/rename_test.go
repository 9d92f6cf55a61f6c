package store_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func TestRenameSession(t *testing.T) {
	var c collector
	s := open(t, t.TempDir(), store.Options{Publish: c.publish})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s1", Agent: "claude", Cwd: "/tmp", Title: "first prompt"}); err != nil {
		t.Fatal(err)
	}
	before, err := s.GetSession("s1")
	if err != nil {
		t.Fatal(err)
	}
	x, err := s.RenameSession(ctx, "s1", "Refactor the parser")
	if err != nil || x.Title != "Refactor the parser" {
		t.Fatalf("rename: %+v %v", x, err)
	}
	after, err := s.GetSession("s1")
	if err != nil || after.Title != "Refactor the parser" {
		t.Fatalf("stored: %+v %v", after, err)
	}
	if !after.LastActivity.Equal(before.LastActivity) {
		t.Fatalf("a rename moved the last activity from %v to %v", before.LastActivity, after.LastActivity)
	}
	if l, err := s.ListSessions(0); err != nil || len(l) != 1 || l[0].Title != "Refactor the parser" {
		t.Fatalf("the listed session keeps its old title: %+v %v", l, err)
	}
	evs, err := s.Events("s1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var found *event.Event
	for i := range evs {
		if evs[i].Kind == event.SessionUpdated {
			found = &evs[i]
		}
	}
	if found == nil {
		t.Fatalf("no %s event in %+v", event.SessionUpdated, evs)
	}
	var d store.SessionUpdatedData
	if err := json.Unmarshal(found.Data, &d); err != nil || d.Title != "Refactor the parser" {
		t.Fatalf("event data %s: %v", found.Data, err)
	}
	published := false
	for _, e := range c.all() {
		published = published || (e.Kind == event.SessionUpdated && e.Seq == found.Seq)
	}
	if !published {
		t.Fatal("the rename was not published")
	}
	if _, err := s.RenameSession(ctx, "nope", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
}
