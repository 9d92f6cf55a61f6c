package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// ev makes an event of a session with data marshalled.
func searchEv(session, kind string, data any) event.Event {
	e := event.New(kind, data)
	e.SessionID = session
	return e
}

func mustSearch(t *testing.T, s *store.Store, q store.SearchQuery) []store.SearchHit {
	t.Helper()
	hits, err := s.SearchEvents(ctx, q)
	if err != nil {
		t.Fatalf("SearchEvents(%+v): %v", q, err)
	}
	return hits
}

func openSearchStore(t *testing.T, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSearchFindsEachKindOfText stores one event of each searchable kind
// (and a few that are not) and finds each by a word of its own, with the
// session, seq, kind and a highlighted snippet.
func TestSearchFindsEachKindOfText(t *testing.T) {
	s := openSearchStore(t, store.Options{})
	if _, err := s.CreateSession(ctx, store.Session{ID: "a", Title: "Fix the parser"}); err != nil {
		t.Fatal(err)
	}
	code := 1
	evs := []event.Event{
		searchEv("a", event.RunStarted, map[string]any{"prompt": "please refactor the tokenizer", "pid": 1}),
		searchEv("a", event.AssistantThinking, agent.TextData{Text: "pondering secretthought"}),
		searchEv("a", event.AssistantText, agent.TextData{Text: "I will rew", Delta: true}),
		searchEv("a", event.AssistantText, agent.TextData{Text: "rite the lexer", Delta: true}),
		searchEv("a", event.ToolCall, agent.ToolCallData{ID: "t1", Name: "Bash", Input: json.RawMessage(`{"command":"go vet ./scanner/...","timeout":5}`)}),
		searchEv("a", event.ToolResult, agent.ToolResultData{ID: "t1", Output: "FAIL lexer_test.go:12 unexpected token", ExitCode: &code}),
		searchEv("a", event.ErrorKind, agent.ErrorData{Code: "x", Message: "the agent went sideways"}),
		searchEv("a", event.TurnCompleted, agent.TurnCompletedData{Error: &agent.TurnError{Code: agent.CodeAPI, Message: "upstream overloaded"}}),
		searchEv("a", event.Stdout, agent.LineData{Text: "stdoutword"}),
		searchEv("a", event.Usage, agent.UsageData{InputTokens: 5}),
	}
	// The typed Payload (what adapters set) and the Data alone (events
	// read back) must index the same text: half the events carry it.
	for i := range evs {
		if i%2 == 0 {
			evs[i].Payload = nil
		}
	}
	evs[3].Payload = agent.TextData{Text: "rite the lexer", Delta: true}
	stored, err := s.AppendWait(ctx, evs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q, kind string
		seq     int64
	}{
		{"tokenizer", event.RunStarted, stored[0].Seq},
		{"rewrite lexer", event.AssistantText, stored[2].Seq}, // the pieces, joined, at the first one
		{"vet ./scanner/...", event.ToolCall, stored[4].Seq},
		{"unexpected token", event.ToolResult, stored[5].Seq},
		{"sideways", event.ErrorKind, stored[6].Seq},
		{"overloaded", event.TurnCompleted, stored[7].Seq},
	} {
		hits := mustSearch(t, s, store.SearchQuery{Query: c.q})
		if len(hits) != 1 {
			t.Fatalf("%q: %d hits %+v, want 1", c.q, len(hits), hits)
		}
		h := hits[0]
		if h.SessionID != "a" || h.SessionTitle != "Fix the parser" || h.Kind != c.kind || h.Seq != c.seq || h.At.IsZero() {
			t.Errorf("%q: hit %+v, want session a, kind %s, seq %d", c.q, h, c.kind, c.seq)
		}
		if !strings.Contains(h.Snippet, store.HighlightStart) || !strings.Contains(h.Snippet, store.HighlightEnd) {
			t.Errorf("%q: snippet %q has no highlight", c.q, h.Snippet)
		}
	}
	for _, q := range []string{"secretthought", "stdoutword", "timeout"} {
		if hits := mustSearch(t, s, store.SearchQuery{Query: q}); len(hits) != 0 {
			t.Errorf("%q is not indexed text but gave %+v", q, hits)
		}
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "tok"}); len(hits) != 2 {
		t.Errorf("prefix of the last word: %d hits %+v, want tokenizer and token", len(hits), hits)
	}
}

// TestSearchWholeMessageReplacesItsPieces: an agent that streams a
// message and then sends it whole (Claude) has it indexed once.
func TestSearchWholeMessageReplacesItsPieces(t *testing.T) {
	s := openSearchStore(t, store.Options{})
	_, err := s.AppendWait(ctx,
		searchEv("a", event.AssistantText, agent.TextData{Text: "hello wor", Delta: true}),
		searchEv("a", event.AssistantText, agent.TextData{Text: "ld", Delta: true}),
		searchEv("a", event.AssistantText, agent.TextData{Text: "hello world"}),
		searchEv("a", event.RunExited, map[string]any{"exitCode": 0}),
	)
	if err != nil {
		t.Fatal(err)
	}
	hits := mustSearch(t, s, store.SearchQuery{Query: "world"})
	if len(hits) != 1 || hits[0].Seq != 3 {
		t.Fatalf("hits %+v, want the whole message (seq 3) once", hits)
	}
}

// TestSearchFindsOneSessionNotADeletedOne: a word of a live session is
// found, a word of a deleted session is not, also by the words both had.
func TestSearchFindsOneSessionNotADeletedOne(t *testing.T) {
	s := openSearchStore(t, store.Options{})
	for _, id := range []string{"keep", "gone"} {
		if _, err := s.CreateSession(ctx, store.Session{ID: id, Title: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendWait(ctx,
			searchEv(id, event.RunStarted, map[string]any{"prompt": "common words and " + id + "word"}),
			searchEv(id, event.ToolResult, agent.ToolResultData{Output: "shared output " + id + "out"})); err != nil {
			t.Fatal(err)
		}
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "goneword"}); len(hits) != 1 {
		t.Fatalf("before delete: %+v", hits)
	}
	if err := s.DeleteSession(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"goneword", "goneout"} {
		if hits := mustSearch(t, s, store.SearchQuery{Query: q}); len(hits) != 0 {
			t.Errorf("%q of a deleted session still found: %+v", q, hits)
		}
	}
	hits := mustSearch(t, s, store.SearchQuery{Query: "shared"})
	if len(hits) != 1 || hits[0].SessionID != "keep" {
		t.Errorf("shared: %+v, want only session keep", hits)
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "keepword"}); len(hits) != 1 || hits[0].SessionTitle != "keep" {
		t.Errorf("keepword: %+v", hits)
	}
}

// TestSearchSessionFilterAndOrder: newest first, limit default and cap,
// and the session filter.
func TestSearchSessionFilterAndOrder(t *testing.T) {
	s := openSearchStore(t, store.Options{})
	var evs []event.Event
	for i := 0; i < 130; i++ {
		id := []string{"x", "y"}[i%2]
		evs = append(evs, searchEv(id, event.ToolResult, agent.ToolResultData{Output: fmt.Sprintf("needle number n%d", i)}))
	}
	if _, err := s.AppendWait(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	hits := mustSearch(t, s, store.SearchQuery{Query: "needle"})
	if len(hits) != store.DefaultSearchLimit {
		t.Fatalf("default limit: %d hits", len(hits))
	}
	if !strings.Contains(hits[0].Snippet, "n129") || !strings.Contains(hits[1].Snippet, "n128") {
		t.Errorf("not newest first: %q, %q", hits[0].Snippet, hits[1].Snippet)
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "needle", Limit: 1000}); len(hits) != store.MaxSearchLimit {
		t.Errorf("limit 1000: %d hits, want the cap %d", len(hits), store.MaxSearchLimit)
	}
	hits = mustSearch(t, s, store.SearchQuery{Query: "needle", SessionID: "x", Limit: 100})
	if len(hits) != 65 {
		t.Errorf("session x: %d hits, want 65", len(hits))
	}
	for _, h := range hits {
		if h.SessionID != "x" {
			t.Fatalf("session filter let through %+v", h)
		}
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "needle", SessionID: "nosuch"}); len(hits) != 0 {
		t.Errorf("unknown session: %+v", hits)
	}
}

// TestSearchTakesUserTextLiterally: FTS5 syntax in what a user types is
// searched for as words, never an error; an empty query is.
func TestSearchTakesUserTextLiterally(t *testing.T) {
	s := openSearchStore(t, store.Options{})
	if _, err := s.AppendWait(ctx,
		searchEv("a", event.ToolResult, agent.ToolResultData{Output: `use foo-bar and "quoted" NEAR the x*y OR z: col:val (paren) AND ^caret`})); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`foo-bar`, `"quoted"`, `"quoted`, `NEAR`, `NEAR(`, `x*y`, `OR z:`, `col:val`, `(paren`, `AND`, `^caret`, `- foo`, `foo -bar`, `* foo`} {
		hits, err := s.SearchEvents(ctx, store.SearchQuery{Query: q})
		if err != nil {
			t.Errorf("%q: %v", q, err)
			continue
		}
		if len(hits) != 1 {
			t.Errorf("%q: %d hits, want 1", q, len(hits))
		}
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "foo-baz"}); len(hits) != 0 {
		t.Errorf("foo-baz: %+v", hits)
	}
	for _, q := range []string{"", "   ", `"`, "* - ()"} {
		_, err := s.SearchEvents(ctx, store.SearchQuery{Query: q})
		if !errors.Is(err, store.ErrInvalidQuery) {
			t.Errorf("%q: %v, want ErrInvalidQuery", q, err)
		}
	}
	if _, err := s.SearchEvents(ctx, store.SearchQuery{Query: "x", Limit: -1}); !errors.Is(err, store.ErrInvalidQuery) {
		t.Errorf("negative limit: %v", err)
	}
}

// TestSearchForgetsWhatRetentionDrops: events retention deletes are no
// longer found; the ones it keeps are, at their seq.
func TestSearchForgetsWhatRetentionDrops(t *testing.T) {
	s := openSearchStore(t, store.Options{MaxEventsPerSession: 100})
	seqs := make([]int64, 150)
	for i := range seqs {
		out, err := s.AppendWait(ctx, searchEv("a", event.ToolResult, agent.ToolResultData{Output: fmt.Sprintf("w%dz", i)}))
		if err != nil {
			t.Fatal(err)
		}
		seqs[i] = out[0].Seq
	}
	kept := map[int64]bool{}
	evs, err := s.Events("a", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		kept[e.Seq] = true
	}
	if kept[seqs[0]] {
		t.Fatal("retention did not trim")
	}
	for i, seq := range seqs {
		hits := mustSearch(t, s, store.SearchQuery{Query: fmt.Sprintf("w%dz", i)})
		if kept[seq] && (len(hits) != 1 || hits[0].Seq != seq) {
			t.Fatalf("word%d (kept at seq %d) gave %+v", i, seq, hits)
		}
		if !kept[seq] && len(hits) != 0 {
			t.Fatalf("word%d (deleted by retention) still found: %+v", i, hits)
		}
	}
}

// TestSearchIndexesAStreamedMessageAtClose: a message still streaming when
// the store closes is indexed by the last commit.
func TestSearchIndexesAStreamedMessageAtClose(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendWait(ctx, searchEv("a", event.AssistantText, agent.TextData{Text: "unfinished thoughtful", Delta: true})); err != nil {
		t.Fatal(err)
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "thoughtful"}); len(hits) != 0 {
		t.Fatalf("a message still streaming is indexed already: %+v", hits)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if hits := mustSearch(t, s, store.SearchQuery{Query: "thoughtful"}); len(hits) != 1 || hits[0].Seq != 1 {
		t.Fatalf("after close: %+v", hits)
	}
	// The end of the message after reopening does not index it twice.
	if _, err := s.AppendWait(ctx, searchEv("a", event.RunExited, map[string]any{"code": 0})); err != nil {
		t.Fatal(err)
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "thoughtful"}); len(hits) != 1 || hits[0].Seq != 1 {
		t.Fatalf("after the message ended: %+v", hits)
	}
}

// TestSearchSnippetIsTheEventsText: the markers are the only control
// characters a snippet adds; markup in the text stays as it was.
func TestSearchSnippetIsTheEventsText(t *testing.T) {
	s := openSearchStore(t, store.Options{})
	out := "<img src=x onerror=alert(1)> \x02fake\x03 marker payloadword"
	if _, err := s.AppendWait(ctx, searchEv("a", event.ToolResult, agent.ToolResultData{Output: out})); err != nil {
		t.Fatal(err)
	}
	hits := mustSearch(t, s, store.SearchQuery{Query: "payloadword"})
	if len(hits) != 1 {
		t.Fatalf("%+v", hits)
	}
	want := "<img src=x onerror=alert(1)>  fake  marker \x02payloadword\x03"
	if hits[0].Snippet != want {
		t.Errorf("snippet %q, want %q", hits[0].Snippet, want)
	}
}

// TestSearchForgetsWhatRetentionDropsOfAGroup: events stored in one
// transaction share index groups; retention that deletes part of a group
// leaves its other events found, and its deleted ones not.
func TestSearchForgetsWhatRetentionDropsOfAGroup(t *testing.T) {
	s := openSearchStore(t, store.Options{MaxEventsPerSession: 100})
	evs := make([]event.Event, 150)
	for i := range evs {
		evs[i] = searchEv("a", event.ToolResult, agent.ToolResultData{Output: fmt.Sprintf("g%dz common", i)})
	}
	out, err := s.AppendWait(ctx, evs...)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[int64]bool{}
	stored, err := s.Events("a", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	results := 0
	for _, e := range stored {
		kept[e.Seq] = true
		if e.Kind == event.ToolResult {
			results++
		}
	}
	if kept[out[0].Seq] || !kept[out[len(out)-1].Seq] {
		t.Fatal("retention did not trim")
	}
	for i, e := range out {
		hits := mustSearch(t, s, store.SearchQuery{Query: fmt.Sprintf("g%dz", i)})
		if kept[e.Seq] && (len(hits) != 1 || hits[0].Seq != e.Seq) {
			t.Fatalf("g%dz (kept at seq %d) gave %+v", i, e.Seq, hits)
		}
		if !kept[e.Seq] && len(hits) != 0 {
			t.Fatalf("g%dz (deleted by retention) still found: %+v", i, hits)
		}
	}
	hits := mustSearch(t, s, store.SearchQuery{Query: "common", Limit: store.MaxSearchLimit})
	if len(hits) != results {
		t.Fatalf("common: %d hits, want the %d kept tool results", len(hits), results)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Seq >= hits[i-1].Seq {
			t.Fatalf("not newest first at %d: %d after %d", i, hits[i].Seq, hits[i-1].Seq)
		}
	}
}
