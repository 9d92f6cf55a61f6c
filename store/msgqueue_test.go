package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// The queue keeps its order and edits across a reopen, each change is
// announced by its event in the same commit, and deleting the session
// deletes its queue.
func TestQueuedMessagesSurviveReopenInOrder(t *testing.T) {
	dir := t.TempDir()
	var c collector
	s := open(t, dir, store.Options{Publish: c.publish})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s1", Status: "idle"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, id := range []string{"q1", "q2", "q3"} {
		if err := s.QueueAddMessage(store.QueuedMessage{ID: id, SessionID: "s1", Text: "text " + id, CreatedAt: now}, i+1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.QueueEditMessage("s1", "q2", "edited"); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueRemoveMessage("s1", event.QueueCancelled, store.QueueEventData{MessageID: "q1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueRemoveMessage("s1", event.RunStarted, store.QueueEventData{MessageID: "q3"}); err == nil {
		t.Fatal("a removal of another kind than cancelled or sent was accepted")
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range c.all() {
		if e.SessionID == "s1" {
			kinds = append(kinds, e.Kind)
		}
	}
	want := []string{event.QueueAdded, event.QueueAdded, event.QueueAdded, event.QueueEdited, event.QueueCancelled}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	s.Close()

	s = open(t, dir, store.Options{})
	got, err := s.ListQueued("s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "q2" || got[0].Text != "edited" || got[1].ID != "q3" {
		t.Fatalf("queue after reopen %+v", got)
	}
	// A message added after a reopen goes last.
	if err := s.QueueAddMessage(store.QueuedMessage{ID: "q4", SessionID: "s1", Text: "four"}, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.ListQueued("s1"); len(got) != 3 || got[2].ID != "q4" {
		t.Fatalf("queue %+v", got)
	}
	if err := s.DeleteSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.ListQueued("s1"); len(got) != 0 {
		t.Fatalf("deleted session keeps its queue: %+v", got)
	}
	if _, err := s.GetSession("s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}
