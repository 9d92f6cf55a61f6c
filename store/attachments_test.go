package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/corral-dev/corral/store"
)

func TestAttachments(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	for _, id := range []string{"s1", "s2"} {
		if _, err := s.CreateSession(ctx, store.Session{ID: id, Agent: "claude", Cwd: "/tmp"}); err != nil {
			t.Fatal(err)
		}
	}
	png := []byte("\x89PNG\r\n\x1a\n....")
	err := s.AddAttachments(ctx, []store.Attachment{
		{ID: "a1", SessionID: "s1", Name: "shot.png", MimeType: "image/png", Data: png},
		{ID: "a2", SessionID: "s1", Name: "notes.txt", MimeType: "text/plain", Data: []byte("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.GetAttachment("s1", "a1")
	if err != nil || a.Name != "shot.png" || a.MimeType != "image/png" || a.Size != int64(len(png)) || !bytes.Equal(a.Data, png) {
		t.Fatalf("get: %+v %v", a, err)
	}
	if _, err := s.GetAttachment("s2", "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another session's attachment: %v", err)
	}
	list, err := s.ListAttachments("s1")
	if err != nil || len(list) != 2 || list[0].Data != nil {
		t.Fatalf("list: %+v %v", list, err)
	}
	if err := s.AddAttachments(ctx, []store.Attachment{{ID: "a1", SessionID: "s1", Data: []byte("x")}}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same id again: %v", err)
	}
	if err := s.AddAttachments(ctx, []store.Attachment{{ID: "a9", SessionID: "nope", Data: []byte("x")}}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	// Kept across a reopen, removed with the session.
	s.Close()
	s = open(t, dir, store.Options{})
	if _, err := s.GetAttachment("s1", "a2"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if err := s.DeleteSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListAttachments("s1"); err != nil || len(list) != 0 {
		t.Fatalf("left after DeleteSession: %+v %v", list, err)
	}
}
