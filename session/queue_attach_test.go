package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// A message sent with files during a turn is queued with them: the queue
// lists them, they survive a restart of corral, and they reach the agent
// when the message is sent (the image as an image block, the text file by
// its path, written again when its saved copy is gone). A cancelled
// queued message takes its files with it.
func TestQueuedMessageKeepsItsAttachments(t *testing.T) {
	dir := t.TempDir()
	rt := openRT(t, dir, nil)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Manager.Send(ctx, info.ID, "slow:100000"); err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{9}, 300)...)
	kept, err := rt.Manager.SendOrQueueWithAttachments(ctx, info.ID, "look", []NewAttachment{
		{Name: "shot.png", MimeType: "image/png", Data: png},
		{Name: "notes.txt", MimeType: "text/plain", Data: []byte("hello")},
	})
	if err != nil || !kept.Queued || kept.RunID != "" || kept.Position != 1 {
		t.Fatalf("queued with files: %+v %v", kept, err)
	}
	dropped, err := rt.Manager.SendOrQueueWithAttachments(ctx, info.ID, "never", []NewAttachment{
		{Name: "gone.txt", MimeType: "text/plain", Data: []byte("bye")},
	})
	if err != nil || !dropped.Queued || dropped.Position != 2 {
		t.Fatalf("second queued: %+v %v", dropped, err)
	}
	qi, err := rt.Manager.ListQueued(ctx, info.ID)
	if err != nil || len(qi.Messages) != 2 {
		t.Fatalf("queue %+v %v", qi, err)
	}
	atts := qi.Messages[0].Attachments
	if len(atts) != 2 || atts[0].Name != "shot.png" || atts[0].Size != int64(len(png)) || atts[1].MimeType != "text/plain" {
		t.Fatalf("queued files %+v", atts)
	}
	gone := qi.Messages[1].Attachments
	if len(gone) != 1 {
		t.Fatalf("second message's files %+v", gone)
	}
	if err := rt.Manager.CancelQueued(ctx, info.ID, dropped.MessageID); err != nil {
		t.Fatal(err)
	}
	attDir := filepath.Join(dir, "attachments", info.ID)
	if _, err := os.Stat(filepath.Join(attDir, gone[0].ID)); !os.IsNotExist(err) {
		t.Fatalf("saved copy of a cancelled message's file: %v", err)
	}
	closeRT(t, rt)

	rt = openRT(t, dir, nil)
	defer closeRT(t, rt)
	m := rt.Manager
	if _, err := rt.Store.GetAttachment(info.ID, gone[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("stored file of a cancelled message: %v", err)
	}
	qi, err = m.ListQueued(ctx, info.ID)
	if err != nil || len(qi.Messages) != 1 || !qi.Paused || len(qi.Messages[0].Attachments) != 2 || qi.Messages[0].Attachments[0].ID != atts[0].ID {
		t.Fatalf("queue after restart: %+v %v", qi, err)
	}
	// The text file's saved copy is lost meanwhile: it is written again.
	if err := os.RemoveAll(filepath.Join(attDir, atts[1].ID)); err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	run, err := m.ResumeQueue(ctx, info.ID)
	if err != nil || run == "" {
		t.Fatalf("ResumeQueue: %q %v", run, err)
	}
	evs := w.until(func(e event.Event) bool { return e.Kind == event.TurnCompleted && e.RunID == run })
	var started struct {
		Prompt      string
		Attachments []AttachmentInfo
	}
	var reply string
	for _, e := range evs {
		switch {
		case e.Kind == event.RunStarted && e.RunID == run:
			json.Unmarshal(e.Data, &started)
		case e.Kind == event.AssistantText && e.RunID == run:
			var d struct{ Text string }
			json.Unmarshal(e.Data, &d)
			if len(d.Text) > len(reply) {
				reply = d.Text
			}
		}
	}
	if started.Prompt != "look" || len(started.Attachments) != 2 || started.Attachments[0].ID != atts[0].ID {
		t.Fatalf("run.started of the queued message: %+v", started)
	}
	notes := filepath.Join(attDir, atts[1].ID, "notes.txt")
	if !strings.Contains(reply, "[image image/png 308 bytes]") || !strings.Contains(reply, notes) {
		t.Fatalf("the agent saw %q; want the image and %s", reply, notes)
	}
	if b, err := os.ReadFile(notes); err != nil || string(b) != "hello" {
		t.Fatalf("saved copy written again: %q %v", b, err)
	}
	w.until(status(Idle))
	if a, err := rt.Store.GetAttachment(info.ID, atts[0].ID); err != nil || !bytes.Equal(a.Data, png) {
		t.Fatalf("a sent message's file stays with the session: %v", err)
	}
}
