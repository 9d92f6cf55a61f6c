package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

func TestCleanTitle(t *testing.T) {
	long := strings.Repeat("é", MaxTitleLength)
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"  Refactor the parser \t", "Refactor the parser", true},
		{long, long, true},
		{" " + long + " ", long, true},
		{long + "x", "", false},
		{"", "", false},
		{" \t\n ", "", false},
		{"two\nlines", "", false},
		{"bell\a", "", false},
		{"bad \xff utf-8", "", false},
	} {
		got, err := CleanTitle(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("CleanTitle(%q) = %q, %v", c.in, got, err)
			continue
		}
		if err != nil && AsError(err).Code != CodeInvalidArgument {
			t.Errorf("CleanTitle(%q): code %s", c.in, AsError(err).Code)
		}
	}
}

func TestRenameSessionOverHTTP(t *testing.T) {
	e := startE2E(t, t.TempDir())
	defer e.close()
	st := e.stream("", 0)
	defer st.stop()
	idle := func(id string) func(event.Event) bool {
		return func(ev event.Event) bool {
			return ev.SessionID == id && ev.Kind == event.SessionStatus && strings.Contains(string(ev.Data), `"idle"`)
		}
	}

	// A session named after its first prompt until the user renames it.
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir(), "prompt": "fix the parser"}, &sess)
	st.until(idle(sess.ID))
	var got session.Info
	e.call("GetSession", SessionParams{SessionID: sess.ID}, &got)
	if got.Title != "fix the parser" {
		t.Fatalf("automatic title %q", got.Title)
	}
	e.call("RenameSession", RenameSessionParams{SessionID: sess.ID, Title: "  My work  "}, &got)
	if got.Title != "My work" || got.ID != sess.ID {
		t.Fatalf("rename answered %+v", got)
	}
	evs := st.until(func(ev event.Event) bool { return ev.Kind == event.SessionUpdated })
	var d store.SessionUpdatedData
	if ev := evs[len(evs)-1]; ev.SessionID != sess.ID || json.Unmarshal(ev.Data, &d) != nil || d.Title != "My work" {
		t.Fatalf("published %+v", ev)
	}
	e.call("SendMessage", SendMessageParams{SessionID: sess.ID, Text: "another prompt"}, nil)
	st.until(idle(sess.ID))
	var list []session.Info
	e.call("ListSessions", struct{}{}, &list)
	if len(list) != 1 || list[0].Title != "My work" {
		t.Fatalf("listed %+v", list)
	}

	// Renamed before its first message: the message does not replace it.
	var blank session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir()}, &blank)
	e.call("RenameSession", RenameSessionParams{SessionID: blank.ID, Title: "Named first"}, nil)
	e.call("SendMessage", SendMessageParams{SessionID: blank.ID, Text: "first message"}, nil)
	st.until(idle(blank.ID))
	e.call("GetSession", SessionParams{SessionID: blank.ID}, &got)
	if got.Title != "Named first" {
		t.Fatalf("the first message replaced the chosen title: %q", got.Title)
	}

	hdr := map[string]string{"Authorization": "Bearer " + testToken}
	for _, c := range []struct {
		body       string
		status     int
		code, hint string
	}{
		{`{"sessionId":"` + sess.ID + `","title":"   "}`, 400, CodeInvalidArgument, "required"},
		{`{"sessionId":"` + sess.ID + `","title":"` + strings.Repeat("x", MaxTitleLength+1) + `"}`, 400, CodeInvalidArgument, "longer"},
		{`{"sessionId":"` + sess.ID + `","title":"a\nb"}`, 400, CodeInvalidArgument, "one line"},
		{`{"title":"x"}`, 400, CodeInvalidArgument, "sessionId"},
		{`{"sessionId":"nope","title":"x"}`, 404, CodeNotFound, ""},
	} {
		code, body, _ := do(t, e.hs, "POST", "/api/call/RenameSession", c.body, hdr)
		if code != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) || !strings.Contains(body, c.hint) {
			t.Errorf("%s: %d %s", c.body, code, body)
		}
	}
	e.call("GetSession", SessionParams{SessionID: sess.ID}, &got)
	if got.Title != "My work" {
		t.Fatalf("a refused rename changed the title to %q", got.Title)
	}
}

func TestRenameSessionWithoutTitles(t *testing.T) {
	a := New(&fakeSessions{}, nil)
	_, err := a.RenameSession(context.Background(), RenameSessionParams{SessionID: "s1", Title: "x"})
	if AsError(err).Code != CodeInternal {
		t.Fatalf("%v", err)
	}
}
