package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// SearchEvents over HTTP against a real store: hits with session, seq,
// kind and a highlighted snippet; the session filter; an empty query is
// invalid_argument and FTS5 syntax in a query is no error.
func TestSearchEventsOverHTTP(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Transition: session.CheckTransition})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var evs []event.Event
	for _, sess := range []string{"s1", "s2"} {
		d := agent.ToolResultData{ID: "t", Output: "the build of " + sess + " failed with zanzibar"}
		ev := event.New(event.ToolResult, d)
		ev.SessionID = sess
		evs = append(evs, event.Event{SessionID: sess, Kind: event.Stdout, Data: json.RawMessage(`{"text":"zanzibar stdout"}`)}, ev)
	}
	if _, err := st.AppendWait(t.Context(), evs...); err != nil {
		t.Fatal(err)
	}
	fs := &fakeSessions{}
	_, hs := newTestServer(t, fs, nil, func(o *ServerOptions) { o.API = New(fs, nil, WithEventLog(st)) })
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	call := func(body string) (int, SearchEventsResult, string) {
		t.Helper()
		code, text, _ := do(t, hs, "POST", "/api/call/SearchEvents", body, auth)
		var r struct{ Result SearchEventsResult }
		if code == 200 {
			if err := json.Unmarshal([]byte(text), &r); err != nil {
				t.Fatalf("%s: %v", text, err)
			}
		}
		return code, r.Result, text
	}
	code, r, text := call(`{"query":"zanzib"}`)
	if code != 200 || len(r.Hits) != 2 {
		t.Fatalf("%d %s", code, text)
	}
	h := r.Hits[0] // newest first
	if h.SessionID != "s2" || h.Seq != 2 || h.Kind != event.ToolResult ||
		!strings.Contains(h.Snippet, store.HighlightStart+"zanzibar"+store.HighlightEnd) {
		t.Errorf("hit %+v", h)
	}
	if !strings.Contains(text, `\u0002zanzibar\u0003`) {
		t.Errorf("the markers travel as \\u0002 and \\u0003: %s", text)
	}
	if code, r, text = call(`{"query":"zanzibar","sessionId":"s1","limit":5}`); code != 200 || len(r.Hits) != 1 || r.Hits[0].SessionID != "s1" {
		t.Errorf("session filter: %d %s", code, text)
	}
	if code, r, text = call(`{"query":"nothing-here NEAR \"*"}`); code != 200 || len(r.Hits) != 0 || !strings.Contains(text, `"hits":[]`) {
		t.Errorf("syntax in a query: %d %s", code, text)
	}
	for _, body := range []string{`{"query":""}`, `{"query":"  "}`, `{"query":"x","limit":-1}`} {
		code, _, text := call(body)
		if code != 400 || !strings.Contains(text, CodeInvalidArgument) {
			t.Errorf("%s: %d %s, want invalid_argument", body, code, text)
		}
	}
	fs.err = store.ErrNotFound
	if code, _, text := call(`{"query":"zanzibar","sessionId":"gone"}`); code != 404 || !strings.Contains(text, CodeNotFound) {
		t.Errorf("unknown session: %d %s", code, text)
	}
}
