package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
)

// callErr calls a method that must fail and returns the HTTP status and
// the error envelope.
func (e *e2e) callErr(method string, params any) (int, Error) {
	e.t.Helper()
	b, _ := json.Marshal(params)
	code, body, _ := do(e.t, e.hs, "POST", "/api/call/"+method, string(b), map[string]string{"Authorization": "Bearer " + testToken})
	var env struct {
		Error struct {
			Error
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.Error.Code == "" {
		e.t.Fatalf("%s: %d %s is not an error", method, code, body)
	}
	env.Error.Error.Details = env.Error.Details
	return code, env.Error.Error
}

func TestAttachmentsOverHTTP(t *testing.T) {
	data := t.TempDir()
	e := startE2EWith(t, data, "[attachments]\nmax_file_size = \"2MiB\"\nmax_message_size = \"3MiB\"\n")
	defer e.close()
	cwd := t.TempDir()
	os.WriteFile(filepath.Join(cwd, "main.go"), []byte("package main"), 0o644)
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": cwd}, &sess)
	st := e.stream("?session="+sess.ID, 0)
	defer st.stop()

	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 1536<<10)...) // 1.5 MiB: above the default body cap
	var run SendMessageResult
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "look", "attachments": []map[string]any{
		{"name": "shot.png", "mimeType": "image/png", "data": base64.StdEncoding.EncodeToString(png)},
		{"name": "notes.txt", "mimeType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("hello"))},
	}}, &run)
	evs := st.until(func(ev event.Event) bool { return ev.Kind == event.TurnCompleted })
	var started struct {
		Prompt      string                   `json:"prompt"`
		Attachments []session.AttachmentInfo `json:"attachments"`
	}
	for _, ev := range evs {
		if ev.Kind == event.RunStarted && ev.RunID == run.RunID {
			json.Unmarshal(ev.Data, &started)
		}
	}
	if started.Prompt != "look" || len(started.Attachments) != 2 || started.Attachments[0].Name != "shot.png" ||
		started.Attachments[0].Size != int64(len(png)) || started.Attachments[1].MimeType != "text/plain" {
		t.Fatalf("run.started %+v", started)
	}
	var got AttachmentResult
	e.call("GetAttachment", map[string]any{"sessionId": sess.ID, "attachmentId": started.Attachments[0].ID}, &got)
	if b, _ := base64.StdEncoding.DecodeString(got.Data); !bytes.Equal(b, png) || got.MimeType != "image/png" {
		t.Fatalf("GetAttachment: %d bytes, %s", len(b), got.MimeType)
	}
	saved := filepath.Join(data, "attachments", sess.ID, started.Attachments[1].ID, "notes.txt")
	if b, err := os.ReadFile(saved); err != nil || string(b) != "hello" {
		t.Fatalf("saved copy %s: %q %v", saved, b, err)
	}
	if code, er := e.callErr("GetAttachment", map[string]any{"sessionId": sess.ID, "attachmentId": "att-nope"}); code != 404 || er.Code != CodeNotFound {
		t.Fatalf("unknown attachment: %d %+v", code, er)
	}

	// Limits: a typed invalid_argument with details, nothing stored.
	big := base64.StdEncoding.EncodeToString(make([]byte, 2<<20+1))
	code, er := e.callErr("SendMessage", map[string]any{"sessionId": sess.ID, "text": "x",
		"attachments": []map[string]any{{"name": "big.bin", "mimeType": "application/octet-stream", "data": big}}})
	d, _ := er.Details.(map[string]any)
	if code != 400 || er.Code != CodeInvalidArgument || d["reason"] != session.AttachFileTooLarge || d["limit"] != float64(2<<20) || d["name"] != "big.bin" {
		t.Fatalf("file too large: %d %+v", code, er)
	}
	two := base64.StdEncoding.EncodeToString(make([]byte, 1600<<10)) // 3.2 MiB in all, within the body cap
	code, er = e.callErr("SendMessage", map[string]any{"sessionId": sess.ID, "text": "x", "attachments": []map[string]any{
		{"name": "a.bin", "mimeType": "application/octet-stream", "data": two},
		{"name": "b.bin", "mimeType": "application/octet-stream", "data": two}}})
	if d, _ := er.Details.(map[string]any); code != 400 || d["reason"] != session.AttachMessageTooLarge {
		t.Fatalf("message too large: %d %+v", code, er)
	}
	code, er = e.callErr("SendMessage", map[string]any{"sessionId": sess.ID, "text": "x",
		"attachments": []map[string]any{{"name": "a.txt", "mimeType": "text/plain", "data": "not base64!"}}})
	if d, _ := er.Details.(map[string]any); code != 400 || d["reason"] != ReasonBadBase64 {
		t.Fatalf("bad base64: %d %+v", code, er)
	}
	if ents, _ := os.ReadDir(filepath.Join(data, "attachments", sess.ID)); len(ents) != 2 {
		t.Fatalf("refused messages left files: %d directories", len(ents))
	}

	var cmds session.CommandList
	e.call("ListCommands", map[string]any{"sessionId": sess.ID}, &cmds)
	if len(cmds.Commands) < 3 || cmds.Commands[0].Name != "compact" || cmds.Capabilities.Images != "inline" ||
		cmds.MaxFileSize != 2<<20 || cmds.MaxMessageSize != 3<<20 {
		t.Fatalf("commands %+v", cmds)
	}
	var files session.FileList
	e.call("ListFiles", map[string]any{"sessionId": sess.ID, "query": "mai"}, &files)
	if strings.Join(files.Files, ",") != "main.go" {
		t.Fatalf("files %+v", files)
	}

	// During a turn a message with files is queued with them; ListQueued
	// shows them; they reach the agent when the turn ends; a cancelled
	// queued message's file is gone.
	var slow SendMessageResult
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "slow:100"}, &slow)
	small := []byte("\x89PNG\r\n\x1a\nqueued")
	var q1, q2 SendMessageResult
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "later", "attachments": []map[string]any{
		{"name": "later.png", "mimeType": "image/png", "data": base64.StdEncoding.EncodeToString(small)}}}, &q1)
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "never", "attachments": []map[string]any{
		{"name": "never.txt", "mimeType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("x"))}}}, &q2)
	if !q1.Queued || q1.RunID != "" || q1.Position != 1 || !q2.Queued || q2.Position != 2 {
		t.Fatalf("SendMessage with files during a turn: %+v %+v", q1, q2)
	}
	var qi session.QueueInfo
	e.call("ListQueued", map[string]any{"sessionId": sess.ID}, &qi)
	if len(qi.Messages) != 2 || len(qi.Messages[0].Attachments) != 1 || qi.Messages[0].Attachments[0].Name != "later.png" ||
		qi.Messages[0].Attachments[0].Size != int64(len(small)) || len(qi.Messages[1].Attachments) != 1 {
		t.Fatalf("ListQueued %+v", qi)
	}
	neverID := qi.Messages[1].Attachments[0].ID
	e.call("CancelQueued", map[string]any{"sessionId": sess.ID, "messageId": q2.MessageID}, nil)
	if code, er := e.callErr("GetAttachment", map[string]any{"sessionId": sess.ID, "attachmentId": neverID}); code != 404 || er.Code != CodeNotFound {
		t.Fatalf("file of a cancelled queued message: %d %+v", code, er)
	}
	var queuedRun string
	evs = st.until(func(ev event.Event) bool {
		if ev.Kind == event.QueueSent {
			var d struct{ RunID string }
			json.Unmarshal(ev.Data, &d)
			queuedRun = d.RunID
		}
		return queuedRun != "" && ev.Kind == event.TurnCompleted && ev.RunID == queuedRun
	})
	started.Attachments, started.Prompt = nil, ""
	var reply string
	for _, ev := range evs {
		if ev.RunID != queuedRun {
			continue
		}
		var d struct{ Text string }
		switch ev.Kind {
		case event.RunStarted:
			json.Unmarshal(ev.Data, &started)
		case event.AssistantText:
			if json.Unmarshal(ev.Data, &d); len(d.Text) > len(reply) {
				reply = d.Text
			}
		}
	}
	if started.Prompt != "later" || len(started.Attachments) != 1 || started.Attachments[0].Name != "later.png" ||
		!strings.Contains(reply, fmt.Sprintf("[image image/png %d bytes]", len(small))) {
		t.Fatalf("the queued message's turn: %+v, reply %q", started, reply)
	}

	// Deleting the session removes the saved copies.
	e.call("DeleteSession", map[string]any{"sessionId": sess.ID}, nil)
	if _, err := os.Stat(filepath.Join(data, "attachments", sess.ID)); !os.IsNotExist(err) {
		t.Fatalf("attachments of a deleted session: %v", err)
	}
}
