package store_test

import (
	"errors"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// A queued message's attachments are linked to it: ListQueued names them
// in order (also after a reopen), a cancelled message's are deleted with
// it, a sent message's stay with the session.
func TestQueuedMessageAttachments(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s1", Status: "idle"}); err != nil {
		t.Fatal(err)
	}
	atts := []store.Attachment{
		{ID: "a2", SessionID: "s1", Name: "z.png", MimeType: "image/png", Data: []byte("png")},
		{ID: "a1", SessionID: "s1", Name: "a.txt", MimeType: "text/plain", Data: []byte("text!")},
		{ID: "a3", SessionID: "s1", Name: "gone.txt", MimeType: "text/plain", Data: []byte("x")},
	}
	if err := s.AddAttachments(ctx, atts); err != nil {
		t.Fatal(err)
	}
	ref := func(a store.Attachment) store.AttachmentRef {
		return store.AttachmentRef{ID: a.ID, Name: a.Name, MimeType: a.MimeType, Size: int64(len(a.Data))}
	}
	if err := s.QueueAddMessage(store.QueuedMessage{ID: "q1", SessionID: "s1", Text: "one",
		Attachments: []store.AttachmentRef{ref(atts[0]), ref(atts[1])}}, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueAddMessage(store.QueuedMessage{ID: "q2", SessionID: "s1", Text: "two",
		Attachments: []store.AttachmentRef{ref(atts[2])}}, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueAddMessage(store.QueuedMessage{ID: "q3", SessionID: "s1", Text: "none"}, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = open(t, dir, store.Options{})
	got, err := s.ListQueued("s1")
	if err != nil || len(got) != 3 {
		t.Fatalf("ListQueued %+v %v", got, err)
	}
	if a := got[0].Attachments; len(a) != 2 || a[0] != ref(atts[0]) || a[1] != ref(atts[1]) {
		t.Fatalf("q1's files %+v", a)
	}
	if a := got[1].Attachments; len(a) != 1 || a[0] != ref(atts[2]) || len(got[2].Attachments) != 0 {
		t.Fatalf("q2, q3's files %+v %+v", a, got[2].Attachments)
	}
	if err := s.QueueRemoveMessage("s1", event.QueueCancelled, store.QueueEventData{MessageID: "q2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.QueueRemoveMessage("s1", event.QueueSent, store.QueueEventData{MessageID: "q1", RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAttachment("s1", "a3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("file of a cancelled message: %v", err)
	}
	for _, id := range []string{"a1", "a2"} {
		if _, err := s.GetAttachment("s1", id); err != nil {
			t.Fatalf("file %s of a sent message: %v", id, err)
		}
	}
	if got, err := s.ListQueued("s1"); err != nil || len(got) != 1 || got[0].ID != "q3" || len(got[0].Attachments) != 0 {
		t.Fatalf("queue at the end %+v %v", got, err)
	}
}
