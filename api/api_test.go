package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

func TestMain(m *testing.M) {
	if fakeagent.Enabled() {
		os.Exit(fakeagent.Main(os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}

// contract is the method list of docs/api.md: what other tools drive
// corral through. Changing it is changing the contract.
var contract = []string{
	"ArchiveSession", "CancelQueued", "CancelResume", "CloseStdin", "CommitChanges", "CreatePullRequest",
	"CreateSchedule", "CreateSession", "DeleteSchedule", "DeleteSession", "DiscardChanges", "EditQueued",
	"Execute", "ExportSession", "ForkSession", "GetAttachment", "GetChanges", "GetEvents", "GetProcessStats", "GetPushConfig",
	"GetSession", "GetUsage", "ImportSession", "Interrupt", "Kill", "ListAgents", "ListCapabilities",
	"ListCheckpoints", "ListCommands", "ListDevices", "ListDirectory", "ListExternalSessions", "ListFiles",
	"ListModels", "ListProcesses", "ListPushSubscriptions", "ListQueued", "ListRunners", "ListSchedules",
	"ListSessions", "MergeWorkspace", "PauseSchedule", "PinSession", "ReloadConfig", "RemoveWorkspace",
	"RenameSession", "RespondPermission", "RestoreCheckpoint", "ResumeNow", "ResumeQueue", "ResumeSession",
	"RevokeDevice", "SearchEvents", "SendMessage", "SendQueuedNow", "SetAutoResume", "SetBudget", "SetModel",
	"SetPermissionMode", "SetPushSettings", "Spawn", "StartPairing", "StopProcess", "StopSession",
	"SubscribePush", "UnsubscribePush", "WriteStdin",
}

// fakeSessions records what the facade passes down and returns what the
// test sets; it has no logic of its own.
type fakeSessions struct {
	mu      sync.Mutex
	calls   []string
	err     error
	list    []session.Info
	answers []session.Answer
	block   chan struct{} // List waits for it to close (or for the call's end)
}

func (f *fakeSessions) rec(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}
func (f *fakeSessions) Agents(context.Context) ([]session.AgentInfo, error) {
	return nil, f.rec("Agents")
}
func (f *fakeSessions) Create(_ context.Context, o session.CreateOptions) (session.Info, error) {
	return session.Info{ID: "s1", Agent: o.Agent, Cwd: o.Cwd, Status: session.Active}, f.rec("Create " + o.Agent)
}
func (f *fakeSessions) Send(_ context.Context, id, text string) (string, error) {
	return "r1", f.rec("Send " + id + " " + text)
}
func (f *fakeSessions) Interrupt(_ context.Context, id string) error { return f.rec("Interrupt " + id) }
func (f *fakeSessions) RespondPermission(_ context.Context, a session.Answer) error {
	f.mu.Lock()
	f.answers = append(f.answers, a)
	f.mu.Unlock()
	return f.rec("RespondPermission")
}
func (f *fakeSessions) Stop(_ context.Context, id string) error { return f.rec("Stop " + id) }
func (f *fakeSessions) Resume(_ context.Context, id string) (session.Info, error) {
	return session.Info{ID: id}, f.rec("Resume " + id)
}
func (f *fakeSessions) Delete(_ context.Context, id string) error { return f.rec("Delete " + id) }
func (f *fakeSessions) List(ctx context.Context) ([]session.Info, error) {
	f.mu.Lock()
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return f.list, f.rec("List")
}
func (f *fakeSessions) Get(_ context.Context, id string) (session.Info, error) {
	return session.Info{ID: id}, f.rec("Get " + id)
}
func (f *fakeSessions) Events(_ context.Context, id string, since int64, limit int) ([]event.Event, bool, error) {
	return nil, false, f.rec(fmt.Sprintf("Events %s %d %d", id, since, limit))
}

const testToken = "0123456789abcdef0123456789abcdef"

func newTestServer(t *testing.T, fs *fakeSessions, src EventSource, mod func(*ServerOptions)) (*Server, *httptest.Server) {
	t.Helper()
	o := ServerOptions{API: New(fs, nil), Events: src, Token: testToken}
	if ms, ok := src.(*memSource); ok {
		o.Head = ms.head
	}
	if mod != nil {
		mod(&o)
	}
	s, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	s.SetBoundAddr(hs.Listener.Addr().String())
	t.Cleanup(hs.Close)
	return s, hs
}

func TestMethodSetIsOneList(t *testing.T) {
	a := New(&fakeSessions{}, nil)
	// Every exported method of the facade struct (what Wails binds)...
	var exported []string
	at := reflect.TypeOf(a)
	for i := 0; i < at.NumMethod(); i++ {
		exported = append(exported, at.Method(i).Name)
	}
	// ...is what Methods derives, what the HTTP transport serves and the
	// agreed contract.
	s, err := NewServer(ServerOptions{API: a, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(exported, MethodNames()) {
		t.Errorf("exported %v != MethodNames %v", exported, MethodNames())
	}
	if !reflect.DeepEqual(s.Served(), MethodNames()) {
		t.Errorf("served %v != MethodNames %v", s.Served(), MethodNames())
	}
	if !reflect.DeepEqual(MethodNames(), contract) {
		t.Errorf("methods %v != contract %v", MethodNames(), contract)
	}
}

func do(t *testing.T, hs *httptest.Server, method, path, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAuthMatrix(t *testing.T) {
	fs := &fakeSessions{}
	_, hs := newTestServer(t, fs, newMemSource(), nil)
	bearer := "Bearer " + testToken
	origin := hs.URL // http://127.0.0.1:port
	cases := []struct {
		name   string
		path   string
		method string
		hdr    map[string]string
		want   int
	}{
		{"no token", "/api/call/ListSessions", "POST", nil, 401},
		{"wrong token", "/api/call/ListSessions", "POST", map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 32)}, 401},
		{"token prefix", "/api/call/ListSessions", "POST", map[string]string{"Authorization": "Bearer " + testToken[:31]}, 401},
		{"basic scheme", "/api/call/ListSessions", "POST", map[string]string{"Authorization": "Basic " + testToken}, 401},
		{"token in query", "/api/call/ListSessions?token=" + testToken, "POST", nil, 401},
		{"token in query and header", "/api/call/ListSessions?access_token=" + testToken, "POST", map[string]string{"Authorization": bearer}, 401},
		{"foreign host", "/api/call/ListSessions", "POST", map[string]string{"Authorization": bearer, "Host": "evil.example:1234"}, 403},
		{"foreign host static", "/", "GET", map[string]string{"Host": "evil.example"}, 403},
		{"foreign origin", "/api/call/ListSessions", "POST", map[string]string{"Authorization": bearer, "Origin": "http://evil.example"}, 403},
		{"null origin", "/api/call/ListSessions", "POST", map[string]string{"Authorization": bearer, "Origin": "null"}, 403},
		{"events no token", "/api/events", "GET", nil, 401},
		{"events token in query", "/api/events?token=" + testToken, "GET", nil, 401},
		{"events foreign origin", "/api/events", "GET", map[string]string{"Authorization": bearer, "Origin": "https://evil.example"}, 403},
		{"right everything", "/api/call/ListSessions", "POST", map[string]string{"Authorization": bearer, "Origin": origin}, 200},
		{"right, localhost name", "/api/call/ListSessions", "POST", map[string]string{"Authorization": "bearer " + testToken, "Host": "localhost:1"}, 200},
		{"unknown method", "/api/call/Nope", "POST", map[string]string{"Authorization": bearer}, 404},
		{"GET on a call", "/api/call/ListSessions", "GET", map[string]string{"Authorization": bearer}, 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, h := do(t, hs, c.method, c.path, "", c.hdr)
			if code != c.want {
				t.Fatalf("status %d, want %d (%s)", code, c.want, body)
			}
			if h.Get("Access-Control-Allow-Origin") != "" {
				t.Error("CORS header sent")
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
				t.Errorf("CSP %q", h.Get("Content-Security-Policy"))
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("security headers missing: %v", h)
			}
			if c.want == 401 && !strings.Contains(body, `"code":"unauthorized"`) {
				t.Errorf("body %s", body)
			}
		})
	}
}

func TestCallShapes(t *testing.T) {
	fs := &fakeSessions{list: []session.Info{{ID: "a", Status: session.Idle}}}
	_, hs := newTestServer(t, fs, nil, nil)
	auth := map[string]string{"Authorization": "Bearer " + testToken}

	code, body, _ := do(t, hs, "POST", "/api/call/ListSessions", "", auth)
	if code != 200 || !strings.HasPrefix(body, `{"result":[{"id":"a"`) {
		t.Fatalf("%d %s", code, body)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/ListAgents", "{}", auth)
	if code != 200 || strings.TrimSpace(body) != `{"result":[]}` {
		t.Fatalf("nil slice must be []: %d %s", code, body)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/SendMessage", `{"sessionId":"s9","text":"hi"}`, auth)
	if code != 200 || strings.TrimSpace(body) != `{"result":{"runId":"r1"}}` {
		t.Fatalf("%d %s", code, body)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/RespondPermission", `{"sessionId":"s9","requestId":"q","allow":true,"updatedInput":{"a":1}}`, auth)
	if code != 200 || strings.TrimSpace(body) != `{"result":{}}` {
		t.Fatalf("%d %s", code, body)
	}
	if a := fs.answers[0]; !a.Allow || a.RequestID != "q" || string(a.Input) != `{"a":1}` || a.By != "user" {
		t.Fatalf("answer %+v", a)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/SendMessage", `{"sessionId":"s9"}`, auth)
	if code != 400 || !strings.Contains(body, `"code":"invalid_argument"`) {
		t.Fatalf("missing text: %d %s", code, body)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/SendMessage", `{"sessionId":"s9","text":"x","bogus":1}`, auth)
	if code != 400 || !strings.Contains(body, "bogus") {
		t.Fatalf("unknown field: %d %s", code, body)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/SendMessage", `[1]`, auth)
	if code != 400 {
		t.Fatalf("non-object: %d %s", code, body)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/GetEvents", `{"sessionId":"s","limit":999999}`, auth)
	if code != 200 || fs.calls[len(fs.calls)-1] != "Events s 0 1000" {
		t.Fatalf("limit cap: %d %s %v", code, body, fs.calls)
	}
	code, body, _ = do(t, hs, "POST", "/api/call/Execute", `{"capability":"x","args":[]}`, auth)
	if code != 500 || !strings.Contains(body, "not available") {
		t.Fatalf("no processes: %d %s", code, body)
	}
	fs.err = fmt.Errorf("wrapped: %w", session.ErrNotFound)
	code, body, _ = do(t, hs, "POST", "/api/call/GetSession", `{"sessionId":"zz"}`, auth)
	if code != 404 || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("%d %s", code, body)
	}
}

func TestBodyTooLarge(t *testing.T) {
	fs := &fakeSessions{}
	_, hs := newTestServer(t, fs, nil, nil)
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	big := `{"sessionId":"s","text":"` + strings.Repeat("a", 10<<20) + `"}`
	code, body, _ := do(t, hs, "POST", "/api/call/SendMessage", big, auth)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "invalid_argument") {
		t.Fatalf("%d %.200s", code, body)
	}
	// Without a Content-Length the cap applies while reading.
	req, _ := http.NewRequest("POST", hs.URL+"/api/call/SendMessage", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: %d", resp.StatusCode)
	}
	if len(fs.calls) != 0 {
		t.Fatalf("backend was called: %v", fs.calls)
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		err  error
		code string
	}{
		{&policy.Denied{Capability: "c", Rule: policy.RuleArgPattern}, CodePolicyDenied},
		{fmt.Errorf("x: %w", &policy.Denied{Rule: policy.RuleLimitConcurrent}), CodeLimitReached},
		{&proc.SpawnFailed{Program: "claude", Reason: "not found"}, CodeSpawnFailed},
		{&policy.Denied{Capability: policy.AgentPrefix + "claude", Rule: policy.RuleProgramNotFound}, CodeSpawnFailed},
		{&policy.Denied{Capability: "git-log", Rule: policy.RuleProgramNotFound}, CodePolicyDenied},
		{fmt.Errorf("x: %w", session.ErrConflict), CodeConflict},
		{session.ErrLimit, CodeLimitReached},
		{session.ErrInvalid, CodeInvalidArgument},
		{fmt.Errorf("%w: claude", session.ErrSpawn), CodeSpawnFailed},
		{Errorf(CodeUnauthorized, "x"), CodeUnauthorized},
		{errors.New("boom"), CodeInternal},
		{&store.Unavailable{Op: "append", Kind: store.ErrDiskFull, Err: errors.New("full")}, CodeStorageFull},
		{fmt.Errorf("x: %w", &store.Unavailable{Op: "append", Kind: store.ErrIO, Err: errors.New("eio")}), CodeStoreFailed},
		{fmt.Errorf("%w: the session cap is used", session.ErrBudget), CodeBudgetReached},
	}
	for _, c := range cases {
		if got := AsError(c.err).Code; got != c.code {
			t.Errorf("%v: %s, want %s", c.err, got, c.code)
		}
	}
	if AsError(&policy.Denied{Rule: policy.RuleArgPattern}).Rule != policy.RuleArgPattern {
		t.Error("rule lost")
	}
	if HTTPStatus(CodeBudgetReached) != 402 {
		t.Errorf("budget_reached → %d, want 402", HTTPStatus(CodeBudgetReached))
	}
	for _, c := range Codes {
		if HTTPStatus(c) < 400 {
			t.Errorf("%s → %d", c, HTTPStatus(c))
		}
	}
}

func TestStatic(t *testing.T) {
	static := fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><script type=module src=/assets/app-1a2b.js></script>")},
		"assets/app-1a2b.js": {Data: []byte("console.log(1)")},
	}
	_, hs := newTestServer(t, &fakeSessions{}, nil, func(o *ServerOptions) { o.Static = static })
	code, body, h := do(t, hs, "GET", "/", "", nil)
	if code != 200 || !strings.Contains(body, "doctype") || h.Get("Cache-Control") != "no-cache" {
		t.Fatalf("index: %d %q %v", code, body, h)
	}
	code, _, h = do(t, hs, "GET", "/assets/app-1a2b.js", "", nil)
	if code != 200 || !strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Fatalf("asset: %d %v", code, h)
	}
	code, body, _ = do(t, hs, "GET", "/sessions/abc", "", nil)
	if code != 200 || !strings.Contains(body, "doctype") {
		t.Fatalf("spa route: %d", code)
	}
	code, _, _ = do(t, hs, "GET", "/assets/missing.js", "", nil)
	if code != 404 {
		t.Fatalf("missing asset: %d", code)
	}
	code, _, _ = do(t, hs, "GET", "/../../etc/passwd", "", nil)
	if code != 200 && code != 404 { // cleaned to /etc/passwd → SPA fallback never leaves the FS
		t.Fatalf("traversal: %d", code)
	}
}

func TestNewServerRefusesShortToken(t *testing.T) {
	if _, err := NewServer(ServerOptions{API: New(&fakeSessions{}, nil), Token: "short"}); err == nil {
		t.Fatal("short token accepted")
	}
	if a, b := NewToken(), NewToken(); a == b || len(a) != 32 {
		t.Fatalf("tokens %q %q", a, b)
	}
}

// ---------------------------------------------------------------- SSE

// sseClient reads frames from /api/events.
type sseFrame struct {
	id    int64
	event string
	data  string
}

func openStream(t *testing.T, ctx context.Context, hs *httptest.Server, query string, lastID int64) (*bufio.Reader, func()) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d %v", resp.StatusCode, resp.Header)
	}
	return bufio.NewReader(resp.Body), func() { resp.Body.Close() }
}

// readFrame returns the next event frame; comments are returned with event "".
func readFrame(r *bufio.Reader) (sseFrame, error) {
	var f sseFrame
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return f, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			return f, nil
		case strings.HasPrefix(line, ":"):
			f.event = ""
			f.data = line
		case strings.HasPrefix(line, "id: "):
			f.id, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			f.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			f.data = line[6:]
		}
	}
}

func nextEvent(t *testing.T, r *bufio.Reader) sseFrame {
	t.Helper()
	for {
		f, err := readFrame(r)
		if err != nil {
			t.Fatal(err)
		}
		if f.event != "" {
			return f
		}
	}
}

func TestSSEReplayAfterDisconnect(t *testing.T) {
	src := newMemSource()
	_, hs := newTestServer(t, &fakeSessions{}, src, nil)
	for i := 0; i < 5; i++ {
		src.add("s1", event.AssistantText)
		src.add("s2", event.Stdout)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r, closeBody := openStream(t, ctx, hs, "?session=s1", 0)
	var last int64
	for i := 0; i < 3; i++ {
		f := nextEvent(t, r)
		var ev event.Event
		if err := json.Unmarshal([]byte(f.data), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.SessionID != "s1" || f.event != event.AssistantText || ev.Cursor != f.id || f.id <= last {
			t.Fatalf("frame %+v ev %+v", f, ev)
		}
		last = f.id
	}
	cancel()
	closeBody()
	// Events committed while disconnected.
	for i := 0; i < 4; i++ {
		src.add("s1", event.ToolCall)
		src.add("s2", event.Stdout)
	}
	want, _ := src.after(last, "s1")
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	r2, closeBody2 := openStream(t, ctx2, hs, "?session=s1&since=1", last) // Last-Event-ID wins: larger
	defer closeBody2()
	for i, w := range want {
		f := nextEvent(t, r2)
		if f.id != w.Cursor {
			t.Fatalf("event %d: id %d, want %d", i, f.id, w.Cursor)
		}
	}
	// Then live.
	live := src.add("s1", event.RunExited)
	if f := nextEvent(t, r2); f.id != live.Cursor || f.event != event.RunExited {
		t.Fatalf("live %+v", f)
	}
	// ?since=now skips the history.
	ctx3, cancel3 := context.WithCancel(context.Background())
	defer cancel3()
	r3, closeBody3 := openStream(t, ctx3, hs, "?session=s1&since=now", 0)
	defer closeBody3()
	if f, _ := readFrame(r3); f.data != ": corral events" {
		t.Fatalf("since=now opened with %+v", f)
	}
	// The resume point the server chose, as an id without data.
	if f, _ := readFrame(r3); f.id != live.Cursor || f.event != "" || f.data != "" {
		t.Fatalf("since=now: first frame %+v, want id %d alone", f, live.Cursor)
	}
	next := src.add("s1", event.Stdout)
	if f := nextEvent(t, r3); f.id != next.Cursor {
		t.Fatalf("since=now delivered %+v first, want %d", f, next.Cursor)
	}
}

func TestSSEHeartbeat(t *testing.T) {
	ticks := make(chan time.Time)
	src := newMemSource()
	_, hs := newTestServer(t, &fakeSessions{}, src, func(o *ServerOptions) {
		o.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			if d != 15*time.Second {
				t.Errorf("heartbeat %v", d)
			}
			return ticks, func() {}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, closeBody := openStream(t, ctx, hs, "", 0)
	defer closeBody()
	if f, _ := readFrame(r); f.data != ": corral events" {
		t.Fatalf("first %+v", f)
	}
	ticks <- time.Time{}
	if f, _ := readFrame(r); f.data != ": ping" {
		t.Fatalf("ping %+v", f)
	}
	code, _, _ := do(t, hs, "GET", "/api/events?since=-1", "", map[string]string{"Authorization": "Bearer " + testToken})
	if code != 400 {
		t.Fatalf("negative since: %d", code)
	}
}

func TestFrameCache(t *testing.T) {
	var c frameCache
	ev := event.New(event.Stdout, map[string]string{"text": "a\nb"})
	ev.Cursor, ev.SessionID = 7, "s"
	var out strings.Builder
	bw := bufio.NewWriter(&out)
	enc := newFrameEncoder(bw, &c)
	enc.write([]event.Event{ev})
	bw.Flush()
	want := out.String()
	if !strings.HasPrefix(want, "id: 7\nevent: stdout\ndata: {") || !strings.HasSuffix(want, "}\n\n") || strings.Count(want, "\n") != 4 {
		t.Fatalf("frame %q", want)
	}
	if got := string(c.get(7)); got != want {
		t.Fatalf("cached %q", got)
	}
	// Another cursor in the same slot replaces it; the old one re-encodes.
	other := ev
	other.Cursor = 7 + frameCacheSlots
	enc.write([]event.Event{other})
	bw.Flush()
	if c.get(7) != nil {
		t.Fatal("stale frame returned for a replaced slot")
	}
	out.Reset()
	enc.write([]event.Event{ev})
	bw.Flush()
	if out.String() != want {
		t.Fatalf("re-encoded %q", out.String())
	}
	// Events without a cursor are never cached and carry no id.
	ev.Cursor = 0
	out.Reset()
	enc.write([]event.Event{ev})
	bw.Flush()
	if strings.HasPrefix(out.String(), "id:") {
		t.Fatalf("%q", out.String())
	}
}
