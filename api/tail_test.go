package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// A session of 2,500 events in a real store, read backwards through the
// facade over HTTP: the params decode, pages are ascending, More says
// whether older events exist, and the pages join up to the whole log.
func TestGetEventsPagesBackwards(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Transition: session.CheckTransition})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 1; i <= 2500; i++ {
		if err := st.Append(event.Event{SessionID: "s", Kind: event.Stdout, Data: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	fs := &fakeSessions{}
	_, hs := newTestServer(t, fs, nil, func(o *ServerOptions) { o.API = New(fs, nil, WithEventLog(st)) })
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	call := func(body string) (int, GetEventsResult, string) {
		t.Helper()
		code, text, _ := do(t, hs, "POST", "/api/call/GetEvents", body, auth)
		var r struct{ Result GetEventsResult }
		if code == 200 {
			if err := json.Unmarshal([]byte(text), &r); err != nil {
				t.Fatalf("%s: %v", text, err)
			}
		}
		return code, r.Result, text
	}
	span := func(r GetEventsResult) string {
		if len(r.Events) == 0 {
			return "empty"
		}
		for i := 1; i < len(r.Events); i++ {
			if r.Events[i].Seq != r.Events[i-1].Seq+1 {
				t.Fatalf("not ascending and dense at %d: %d after %d", i, r.Events[i].Seq, r.Events[i-1].Seq)
			}
		}
		return fmt.Sprintf("%d..%d more=%v", r.Events[0].Seq, r.Events[len(r.Events)-1].Seq, r.More)
	}
	cases := []struct{ body, want string }{
		{`{"sessionId":"s","tail":true,"limit":100}`, "2401..2500 more=true"},
		{`{"sessionId":"s","tail":true}`, "1501..2500 more=true"}, // default and cap: 1000
		{`{"sessionId":"s","before":2401,"limit":100}`, "2301..2400 more=true"},
		{`{"sessionId":"s","before":101,"limit":100}`, "1..100 more=false"},
		{`{"sessionId":"s","before":51,"limit":100}`, "1..50 more=false"},
		{`{"sessionId":"s","before":1,"limit":100}`, "empty"},
	}
	for _, c := range cases {
		code, r, text := call(c.body)
		if code != 200 || span(r) != c.want {
			t.Errorf("%s: %d %s, want %s (%s)", c.body, code, span(r), c.want, text)
		}
	}
	// Backwards to the start, page by page: every event exactly once.
	var got []int64
	before := int64(0)
	for {
		body := `{"sessionId":"s","tail":true,"limit":700}`
		if before > 0 {
			body = fmt.Sprintf(`{"sessionId":"s","before":%d,"limit":700}`, before)
		}
		_, r, _ := call(body)
		page := make([]int64, 0, len(r.Events))
		for _, e := range r.Events {
			page = append(page, e.Seq)
		}
		got = append(page, got...)
		if !r.More {
			break
		}
		before = r.Events[0].Seq
	}
	if len(got) != 2500 || got[0] != 1 || got[2499] != 2500 {
		t.Fatalf("paged %d events, %v…", len(got), got[:min(5, len(got))])
	}
	for _, bad := range []string{
		`{"sessionId":"s","tail":true,"since":5}`,
		`{"sessionId":"s","tail":true,"before":5}`,
		`{"sessionId":"s","before":-1}`,
	} {
		if code, _, text := call(bad); code != 400 || !strings.Contains(text, "invalid_argument") {
			t.Errorf("%s: %d %s", bad, code, text)
		}
	}
	// An unknown session is not_found, as for the forward read.
	fs.err = fmt.Errorf("wrapped: %w", session.ErrNotFound)
	if code, _, text := call(`{"sessionId":"zz","tail":true}`); code != 404 || !strings.Contains(text, "not_found") {
		t.Errorf("unknown session: %d %s", code, text)
	}
	fs.err = nil
	// Without an event log the backward read is refused, not served wrong.
	if _, err := New(fs, nil).GetEvents(context.Background(), GetEventsParams{SessionID: "s", Tail: true}); err == nil || AsError(err).Code != CodeInternal {
		t.Errorf("without a log: %v", err)
	}
}
