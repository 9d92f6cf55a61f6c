package store_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperMain()
		return
	}
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var ctx = context.Background()

// collector records published batches.
type collector struct {
	mu  sync.Mutex
	evs []event.Event
}

func (c *collector) publish(b []event.Event) {
	c.mu.Lock()
	c.evs = append(c.evs, b...)
	c.mu.Unlock()
}

func (c *collector) all() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.evs...)
}

func open(t *testing.T, dir string, o store.Options) *store.Store {
	t.Helper()
	if o.Transition == nil {
		o.Transition = session.CheckTransition
	}
	s, err := store.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ev(session, kind, data string) event.Event {
	e := event.Event{SessionID: session, Kind: kind}
	if data != "" {
		e.Data = json.RawMessage(data)
	}
	return e
}

func TestAppendAssignsSeqAndCursorAndPublishesAfterCommit(t *testing.T) {
	dir := t.TempDir()
	var c collector
	s := open(t, dir, store.Options{Publish: c.publish})
	for i := 0; i < 300; i++ {
		sess := []string{"a", "b", ""}[i%3]
		e := ev(sess, event.Stdout, fmt.Sprintf(`{"i":%d}`, i))
		e.Raw = json.RawMessage(`{"line":true}`)
		if err := s.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	pub := c.all()
	if len(pub) != 300 {
		t.Fatalf("published %d events, want 300", len(pub))
	}
	seqs := map[string]int64{}
	for i, e := range pub {
		if e.Cursor != int64(i+1) {
			t.Fatalf("event %d has cursor %d", i, e.Cursor)
		}
		seqs[e.SessionID]++
		if e.Seq != seqs[e.SessionID] {
			t.Fatalf("session %q event has seq %d, want %d", e.SessionID, e.Seq, seqs[e.SessionID])
		}
		if e.Time.IsZero() {
			t.Fatal("time not set")
		}
	}
	// Every published event is readable, identical.
	for _, sess := range []string{"a", "b", ""} {
		got, err := s.Events(sess, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 100 {
			t.Fatalf("session %q: %d events", sess, len(got))
		}
		for i, e := range got {
			if e.Seq != int64(i+1) || e.SessionID != sess || e.Kind != event.Stdout || string(e.Raw) != `{"line":true}` {
				t.Fatalf("bad event %+v", e)
			}
		}
	}
	// Paging.
	page, err := s.Events("a", 40, 10)
	if err != nil || len(page) != 10 || page[0].Seq != 41 || page[9].Seq != 50 {
		t.Fatalf("page: %v %d", err, len(page))
	}
	// Cursor replay, all streams and one stream.
	after, err := s.EventsAfter(ctx, 150, "", true, 1000)
	if err != nil || len(after) != 150 || after[0].Cursor != 151 {
		t.Fatalf("EventsAfter all: %v %d", err, len(after))
	}
	for i := range after {
		if after[i].SessionID != pub[150+i].SessionID || after[i].Seq != pub[150+i].Seq {
			t.Fatalf("EventsAfter mismatch at %d", i)
		}
	}
	for _, cur := range []int64{0, 1, 2, 3, 150, 151, 298, 299, 300, 5000} {
		got, err := s.EventsAfter(ctx, cur, "b", false, 1000)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, e := range pub {
			if e.SessionID == "b" && e.Cursor > cur {
				if want < len(got) && got[want].Cursor != e.Cursor {
					t.Fatalf("cursor %d: got %d want %d", cur, got[want].Cursor, e.Cursor)
				}
				want++
			}
		}
		if len(got) != want {
			t.Fatalf("EventsAfter(%d, b) = %d events, want %d", cur, len(got), want)
		}
	}
	// Reopen: numbering continues, no reuse.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, store.Options{})
	out, err := s2.AppendWait(ctx, ev("a", event.Stdout, ""))
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Seq != 101 || out[0].Cursor != 301 {
		t.Fatalf("after reopen seq=%d cursor=%d", out[0].Seq, out[0].Cursor)
	}
}

func TestSessionsAndStatusTransitions(t *testing.T) {
	var c collector
	s := open(t, t.TempDir(), store.Options{Publish: c.publish})
	x, err := s.CreateSession(ctx, store.Session{ID: "s1", Agent: "claude", Cwd: "/tmp"})
	if err != nil || x.Status != "active" {
		t.Fatalf("create: %v %q", err, x.Status)
	}
	if _, err := s.CreateSession(ctx, store.Session{ID: "s1"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	if _, err := s.CreateSession(ctx, store.Session{ID: "s2", Agent: "codex"}); err != nil {
		t.Fatal(err)
	}
	// Illegal transition is refused and changes nothing.
	_, err = s.SetStatus(ctx, "s1", "waiting_permission", "")
	var te *session.TransitionError
	if !errors.As(err, &te) {
		t.Fatalf("illegal transition: %v", err)
	}
	if x, _ := s.GetSession("s1"); x.Status != "active" {
		t.Fatalf("status changed to %q", x.Status)
	}
	if _, err := s.SetStatus(ctx, "s1", "processing", "message"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, "nope", "processing", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing session: %v", err)
	}
	evs, _ := s.Events("s1", 0, 10)
	if len(evs) != 1 || evs[0].Kind != event.SessionStatus {
		t.Fatalf("status events: %+v", evs)
	}
	var sd store.StatusData
	json.Unmarshal(evs[0].Data, &sd)
	if sd != (store.StatusData{Status: "processing", From: "active", Reason: "message"}) {
		t.Fatalf("status data %+v", sd)
	}
	if err := s.AddUsage(ctx, "s1", store.Usage{Messages: 2, InputTokens: 10, OutputTokens: 20, CostUSD: 0.25}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUsage(ctx, "s1", store.Usage{Messages: 1, InputTokens: 1, CacheReadTokens: 5, CostUSD: 0.5}); err != nil {
		t.Fatal(err)
	}
	x, _ = s.GetSession("s1")
	if x.Messages != 3 || x.Usage.InputTokens != 11 || x.Usage.OutputTokens != 20 || x.Usage.CacheReadTokens != 5 || x.Usage.CostUSD != 0.75 {
		t.Fatalf("usage %+v messages %d", x.Usage, x.Messages)
	}
	// Last activity follows events; the list is most recent first.
	later := time.Now().Add(time.Hour)
	e := ev("s2", event.Stdout, "")
	e.Time = later
	if _, err := s.AppendWait(ctx, e); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSessions(0)
	if err != nil || len(list) != 2 || list[0].ID != "s2" || !list[0].LastActivity.Equal(later) {
		t.Fatalf("list: %v %+v", err, list)
	}
	x, err = s.UpdateSession(ctx, "s2", func(x *store.Session) error { x.Title = "hello"; x.Messages = 99; return nil })
	if err != nil || x.Title != "hello" || x.Messages != 0 {
		t.Fatalf("update: %v %+v", err, x)
	}
	// Delete removes the events too.
	if err := s.DeleteSession(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession("s2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("deleted session still there")
	}
	if evs, _ := s.Events("s2", 0, 10); len(evs) != 0 {
		t.Fatalf("deleted session kept %d events", len(evs))
	}
	if err := s.DeleteSession(ctx, "s2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestExportStreamsJSONL(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	s.CreateSession(ctx, store.Session{ID: "s"})
	for i := 0; i < 1234; i++ {
		e := ev("s", event.AssistantText, fmt.Sprintf(`{"text":"t%d"}`, i))
		e.Raw = json.RawMessage(fmt.Sprintf(`{"type":"assistant","n":%d}`, i))
		s.Append(e)
	}
	s.Append(ev("other", event.Stdout, ""))
	s.Sync(ctx)
	var buf bytes.Buffer
	if err := s.Export(ctx, "s", &buf); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		var e event.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		n++
		if e.Seq != int64(n) || e.SessionID != "s" || string(e.Raw) != fmt.Sprintf(`{"type":"assistant","n":%d}`, n-1) {
			t.Fatalf("line %d: %s", n, sc.Text())
		}
	}
	if n != 1234 {
		t.Fatalf("exported %d lines", n)
	}
	if err := s.Export(ctx, "missing", &buf); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("export missing: %v", err)
	}
}

func TestRunsPermissionsSettingsLedger(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	s.CreateSession(ctx, store.Session{ID: "s"})
	if err := s.CreateRun(ctx, store.Run{ID: "r1", SessionID: "s", Command: "claude -p"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, store.Run{ID: "r2", SessionID: "s"}); err != nil {
		t.Fatal(err)
	}
	code := 3
	if ok, err := s.FinishRun(ctx, "r1", store.RunEnd{ExitCode: &code, Reason: "exit"}); err != nil || !ok {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, err := s.FinishRun(ctx, "r1", store.RunEnd{Reason: "again"}); err != nil || ok {
		t.Fatalf("second finish emitted: %v %v", ok, err)
	}
	r, _ := s.GetRun("r1")
	if r.EndedAt.IsZero() || r.ExitCode == nil || *r.ExitCode != 3 || r.Reason != "exit" {
		t.Fatalf("run %+v", r)
	}
	// An appended run.exited closes the run too, and FinishRun then adds nothing.
	e := ev("s", event.RunExited, `{"reason":"killed"}`)
	e.RunID = "r2"
	s.AppendWait(ctx, e)
	if ok, _ := s.FinishRun(ctx, "r2", store.RunEnd{}); ok {
		t.Fatal("FinishRun after run.exited emitted a second terminal event")
	}
	if r, _ := s.GetRun("r2"); r.EndedAt.IsZero() || r.Reason != "killed" {
		t.Fatalf("run2 %+v", r)
	}
	if _, err := s.FinishRun(ctx, "nope", store.RunEnd{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}

	if err := s.AddPermissionRequest(ctx, store.PermissionRequest{ID: "p1", SessionID: "s", Tool: "Bash", Input: json.RawMessage(`{"command":"ls"}`)}); err != nil {
		t.Fatal(err)
	}
	s.AddPermissionRequest(ctx, store.PermissionRequest{ID: "p2", SessionID: "s", Tool: "Edit"})
	pend, _ := s.PendingPermissions("s")
	if len(pend) != 2 || string(pend[0].Input) != `{"command":"ls"}` {
		t.Fatalf("pending %+v", pend)
	}
	at := time.Unix(1700000000, 0)
	p, err := s.ResolvePermission(ctx, "p1", store.Decision{Decision: store.PermissionAllow, By: "user:alice", At: at, Remember: true})
	if err != nil || p.Status != "allow" || p.DecidedBy != "user:alice" || !p.DecidedAt.Equal(at) {
		t.Fatalf("resolve: %v %+v", err, p)
	}
	if _, err := s.ResolvePermission(ctx, "p1", store.Decision{Decision: store.PermissionDeny, By: "x"}); !errors.Is(err, store.ErrResolved) {
		t.Fatalf("second resolve: %v", err)
	}
	if pend, _ := s.PendingPermissions(""); len(pend) != 1 || pend[0].ID != "p2" {
		t.Fatalf("pending after resolve %+v", pend)
	}
	if got, _ := s.GetPermission("p1"); got.DecidedBy != "user:alice" || !got.Remember {
		t.Fatalf("stored decision %+v", got)
	}
}

func TestRecover(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	for _, id := range []string{"busy", "asking", "idle"} {
		s.CreateSession(ctx, store.Session{ID: id})
	}
	s.SetStatus(ctx, "busy", "processing", "")
	s.SetStatus(ctx, "asking", "processing", "")
	s.SetStatus(ctx, "asking", "waiting_permission", "")
	s.SetStatus(ctx, "idle", "processing", "")
	s.SetStatus(ctx, "idle", "idle", "")
	s.CreateRun(ctx, store.Run{ID: "open", SessionID: "busy"})
	s.CreateRun(ctx, store.Run{ID: "done", SessionID: "busy"})
	s.FinishRun(ctx, "done", store.RunEnd{Reason: "exit"})
	s.AddPermissionRequest(ctx, store.PermissionRequest{ID: "p", SessionID: "asking", Tool: "Bash"})
	s.Close()

	s = open(t, dir, store.Options{})
	rec, err := s.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rec.InterruptedSessions) != "[asking busy]" || fmt.Sprint(rec.ClosedRuns) != "[open]" || fmt.Sprint(rec.ExpiredPermissions) != "[p]" {
		t.Fatalf("recovery %+v", rec)
	}
	for id, want := range map[string]string{"busy": "interrupted", "asking": "interrupted", "idle": "idle"} {
		if x, _ := s.GetSession(id); x.Status != want {
			t.Fatalf("%s is %s", id, x.Status)
		}
	}
	evs, _ := s.Events("busy", 0, 100)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	// status→processing, run.exited(done), status→interrupted, run.exited(open)
	if fmt.Sprint(kinds) != "[session.status run.exited session.status run.exited]" {
		t.Fatalf("kinds %v", kinds)
	}
	var end store.RunEnd
	json.Unmarshal(evs[3].Data, &end)
	if evs[3].RunID != "open" || end.Reason != store.RestartReason {
		t.Fatalf("terminal event %+v", evs[3])
	}
	if p, _ := s.GetPermission("p"); p.Status != store.PermissionExpired || p.DecidedBy != "corral" {
		t.Fatalf("permission %+v", p)
	}
	// Idempotent.
	rec, err = s.Recover(ctx)
	if err != nil || len(rec.InterruptedSessions)+len(rec.ClosedRuns)+len(rec.ExpiredPermissions) != 0 {
		t.Fatalf("second recover %+v %v", rec, err)
	}
}

func TestRetentionTrimsRawFirstThenEvents(t *testing.T) {
	var c collector
	s := open(t, t.TempDir(), store.Options{Publish: c.publish, MaxEventsPerSession: 150, MaxBytesPerSession: 10000})
	raw := json.RawMessage(`{"pad":"` + string(bytes.Repeat([]byte("x"), 80)) + `"}`) // 90 bytes
	data := json.RawMessage(`{"n":1}`)                                                // 7 bytes
	// 60 events: 97*60 = 5820 bytes, under both caps.
	for i := 0; i < 60; i++ {
		s.AppendWait(ctx, event.Event{SessionID: "s", Kind: event.Stdout, Data: data, Raw: raw})
	}
	st, _ := s.StreamStats("s")
	if st.Events != 60 || st.Bytes != 5820 || st.RawFrom != 1 {
		t.Fatalf("before trim %+v", st)
	}
	// 50 more: bytes pass 10000 at the 104th event → raw of the oldest go.
	for i := 0; i < 50; i++ {
		s.AppendWait(ctx, event.Event{SessionID: "s", Kind: event.Stdout, Data: data, Raw: raw})
	}
	st, _ = s.StreamStats("s")
	if st.Bytes > 10000 || st.RawFrom <= 1 || st.FirstSeq != 1 {
		t.Fatalf("after byte cap %+v", st)
	}
	evs, _ := s.Events("s", 0, 1000)
	var markers []event.Event
	for _, e := range evs {
		if e.Kind == event.Trimmed {
			markers = append(markers, e)
		}
	}
	if len(markers) == 0 {
		t.Fatal("no trim marker")
	}
	var info struct {
		RawDroppedThrough, RawEvents, DeletedEvents int64
	}
	json.Unmarshal(markers[0].Data, &info)
	if info.RawDroppedThrough == 0 || info.RawEvents == 0 {
		t.Fatalf("first trim did not drop raw: %s", markers[0].Data)
	}
	if evs[0].Seq != 1 || evs[0].Raw != nil {
		t.Fatalf("oldest event should stay with its raw dropped: %+v", evs[0])
	}
	// Events past the count cap: the oldest events are deleted.
	for i := 0; i < 100; i++ {
		s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Data: data})
	}
	s.Sync(ctx)
	st, _ = s.StreamStats("s")
	if st.Events > 150 || st.FirstSeq <= 1 {
		t.Fatalf("after count cap %+v", st)
	}
	evs, _ = s.Events("s", 0, 1000)
	if int64(len(evs)) != st.Events || evs[0].Seq != st.FirstSeq || evs[len(evs)-1].Seq != st.LastSeq {
		t.Fatalf("stats %+v disagree with %d events [%d..%d]", st, len(evs), evs[0].Seq, evs[len(evs)-1].Seq)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq != evs[i-1].Seq+1 {
			t.Fatal("gap after trimming")
		}
	}
	// The other streams are untouched by this one's caps.
	s.AppendWait(ctx, event.Event{SessionID: "t", Kind: event.Stdout, Raw: raw})
	if e, _ := s.Events("t", 0, 10); len(e) != 1 || e[0].Raw == nil {
		t.Fatal("other stream affected")
	}
}

func TestSchemaTooNewAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	s.Close()
	bumpVersion(t, filepath.Join(dir, store.FileName), store.SchemaVersion()+1)
	_, err := store.Open(dir, store.Options{})
	var tn *store.TooNew
	if !errors.As(err, &tn) || !errors.Is(err, store.ErrTooNew) || tn.Have != store.SchemaVersion()+1 {
		t.Fatalf("too new: %v", err)
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, store.FileName), bytes.Repeat([]byte("not a database, just text\n"), 400), 0o600)
	_, err = store.Open(bad, store.Options{})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("corrupt: %v", err)
	}
}

// bumpVersion writes PRAGMA user_version straight into the header (bytes
// 60..63, big-endian), as a newer corral would have.
func bumpVersion(t *testing.T, path string, v int) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	if _, err := f.WriteAt(b, 60); err != nil {
		t.Fatal(err)
	}
}

func TestClosedStore(t *testing.T) {
	s, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Append(ev("a", event.Stdout, ""))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ev("a", event.Stdout, "")); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

// Publication happens only after the commit: from inside Publish, another
// connection already reads every event of the batch.
func TestPublishedEventsAreAlreadyCommitted(t *testing.T) {
	var s *store.Store
	var mu sync.Mutex
	var problems []string
	checked := 0
	publish := func(batch []event.Event) {
		got, err := s.EventsAfter(ctx, batch[0].Cursor-1, "", true, len(batch))
		mu.Lock()
		defer mu.Unlock()
		checked += len(batch)
		if err != nil || len(got) != len(batch) {
			problems = append(problems, fmt.Sprintf("batch at cursor %d: read %d of %d (%v)", batch[0].Cursor, len(got), len(batch), err))
			return
		}
		for i := range got {
			if got[i].Cursor != batch[i].Cursor || got[i].Seq != batch[i].Seq || got[i].SessionID != batch[i].SessionID {
				problems = append(problems, fmt.Sprintf("cursor %d differs", batch[i].Cursor))
			}
		}
	}
	var err error
	s, err = store.Open(t.TempDir(), store.Options{Publish: publish, MaxBatch: store.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := genEvents("p", 1000)
	for i := 0; i < 20; i++ {
		s.Append(evs...)
	}
	s.Sync(ctx)
	mu.Lock()
	defer mu.Unlock()
	if checked != 20000 || len(problems) > 0 {
		t.Fatalf("checked %d events; problems: %v", checked, problems)
	}
}

// The cached session list follows every kind of change.
func TestListSessionsFollowsChanges(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	ids := func() string {
		l, err := s.ListSessions(0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range l {
			out = append(out, x.ID+":"+x.Status)
		}
		return fmt.Sprint(out)
	}
	if got := ids(); got != "[]" {
		t.Fatalf("empty store lists %s", got)
	}
	base := time.Now()
	s.CreateSession(ctx, store.Session{ID: "a", LastActivity: base})
	s.CreateSession(ctx, store.Session{ID: "b", LastActivity: base.Add(time.Second)})
	if got := ids(); got != "[b:active a:active]" {
		t.Fatalf("after create: %s", got)
	}
	ids() // served from the cache
	e := ev("a", event.Stdout, "")
	e.Time = base.Add(time.Minute)
	s.AppendWait(ctx, e)
	if got := ids(); got != "[a:active b:active]" {
		t.Fatalf("after activity: %s", got)
	}
	s.SetStatus(ctx, "b", "processing", "")
	if got := ids(); got != "[a:active b:processing]" {
		t.Fatalf("after status: %s", got)
	}
	s.DeleteSession(ctx, "a")
	if got := ids(); got != "[b:processing]" {
		t.Fatalf("after delete: %s", got)
	}
	if l, _ := s.ListSessions(1); len(l) != 1 {
		t.Fatal("limit ignored")
	}
	// Callers get copies: changing one does not change the next answer.
	l, _ := s.ListSessions(0)
	l[0].Status = "bogus"
	if got := ids(); got != "[b:processing]" {
		t.Fatalf("cache aliased to caller: %s", got)
	}
}

// A second store on the same directory (corral doctor next to corral
// serve) reads what the first committed, and closing it neither blocks
// nor disturbs the first.
func TestSecondOpenWhileFirstRuns(t *testing.T) {
	dir := t.TempDir()
	a := open(t, dir, store.Options{})
	a.CreateSession(ctx, store.Session{ID: "s"})
	a.AppendWait(ctx, ev("s", event.Stdout, ""))
	b, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l, err := b.ListSessions(0); err != nil || len(l) != 1 {
		t.Fatalf("second open lists %v %v", l, err)
	}
	if c, _ := b.LastCursor(); c != 1 {
		t.Fatalf("second open sees cursor %d", c)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("closing the second store: %v", err)
	}
	if _, err := a.AppendWait(ctx, ev("s", event.Stdout, "")); err != nil {
		t.Fatalf("first store after the second closed: %v", err)
	}
}

func TestDataDirWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my data #1?x=%20")
	s := open(t, dir, store.Options{})
	if _, err := s.AppendWait(ctx, ev("s", event.Stdout, "")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		t.Fatalf("database not where expected: %v", err)
	}
}
