package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/session"
)

// e2e is a real runtime (store, bus, supervisor, policy, manager) behind the
// HTTP transport, with the fake agent as "fake".
type e2e struct {
	t   *testing.T
	rt  *session.Runtime
	srv *Server
	hs  *httptest.Server
}

func startE2E(t *testing.T, dir string) *e2e { return startE2EWith(t, dir, "") }

// startE2EWith adds extra TOML (capabilities) to the configuration.
func startE2EWith(t *testing.T, dir, extra string) *e2e {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf("[agents.fake]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\" }\n%s",
		exe, fakeagent.EnvVar, extra)), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	o := session.RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	rt, err := session.OpenRuntime(context.Background(), dir, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerOptions{
		API:    New(rt.Manager, ProcessService{Policy: rt.Policy, Supervisor: rt.Supervisor}, WithSessionTitles(rt.Store)),
		Events: BusSource{rt.Bus}, Token: testToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, rt: rt, srv: srv, hs: httptest.NewServer(srv)}
	return e
}

func (e *e2e) close() {
	e.t.Helper()
	e.hs.CloseClientConnections()
	e.hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.rt.Close(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) call(method string, params any, out any) {
	e.t.Helper()
	b, _ := json.Marshal(params)
	code, body, _ := do(e.t, e.hs, "POST", "/api/call/"+method, string(b), map[string]string{"Authorization": "Bearer " + testToken})
	if code != 200 {
		e.t.Fatalf("%s: %d %s", method, code, body)
	}
	if out != nil {
		var env struct{ Result json.RawMessage }
		if err := json.Unmarshal([]byte(body), &env); err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal(env.Result, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// stream is one SSE client.
type stream struct {
	t      *testing.T
	r      *bufio.Reader
	close  func()
	cancel context.CancelFunc
	last   int64
}

func (e *e2e) stream(query string, lastID int64) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	r, c := openStream(e.t, ctx, e.hs, query, lastID)
	return &stream{t: e.t, r: r, close: c, cancel: cancel, last: lastID}
}

func (s *stream) stop() { s.cancel(); s.close() }

// until reads events until match, returning them.
func (s *stream) until(match func(event.Event) bool) []event.Event {
	s.t.Helper()
	var out []event.Event
	for {
		f := nextEvent(s.t, s.r)
		var ev event.Event
		if err := json.Unmarshal([]byte(f.data), &ev); err != nil {
			s.t.Fatal(err)
		}
		if f.id <= s.last {
			s.t.Fatalf("id %d not after %d: duplicate or out of order", f.id, s.last)
		}
		s.last = f.id
		out = append(out, ev)
		if match(ev) {
			return out
		}
	}
}

func TestEndToEndOverHTTP(t *testing.T) {
	e := startE2E(t, t.TempDir())
	defer e.close()
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir()}, &sess)
	st := e.stream("?session="+sess.ID, 0)
	defer st.stop()

	var run SendMessageResult
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "tool:make"}, &run)
	evs := st.until(func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	sawText := false
	for _, ev := range evs {
		sawText = sawText || (ev.Kind == event.AssistantText && ev.RunID == run.RunID)
	}
	if !sawText {
		t.Fatalf("no streamed text before the request: %v", kindsOf(evs))
	}
	var pr agent.PermissionRequestData
	json.Unmarshal(evs[len(evs)-1].Data, &pr)
	e.call("RespondPermission", map[string]any{"sessionId": sess.ID, "requestId": pr.RequestID, "allow": true}, nil)
	evs = st.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run.RunID })
	var result agent.ToolResultData
	for _, ev := range evs {
		if ev.Kind == event.ToolResult {
			json.Unmarshal(ev.Data, &result)
		}
	}
	if result.Output != "ran: make" || result.IsError {
		t.Fatalf("tool result %+v in %v", result, kindsOf(evs))
	}
	var list []session.Info
	e.call("ListSessions", struct{}{}, &list)
	if len(list) != 1 || list[0].ID != sess.ID {
		t.Fatalf("%+v", list)
	}
}

func kindsOf(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

// TestReplayAcrossRestart: a client disconnects mid-stream; events happen
// while it is away, corral restarts (its recovery writes events too); on
// reconnect with Last-Event-ID every missed event arrives once, in order.
func TestReplayAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e := startE2E(t, dir)
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir()}, &sess)
	st := e.stream("", 0)
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "hello"}, nil)
	st.until(func(ev event.Event) bool { return ev.Kind == event.AssistantText })
	st.until(func(ev event.Event) bool {
		return ev.Kind == event.SessionStatus && strings.Contains(string(ev.Data), `"idle"`)
	})
	last := st.last
	st.stop()
	// While away: another turn starts and corral stops mid-turn.
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "slow:100000"}, nil)
	time.Sleep(50 * time.Millisecond) // let some deltas happen; correctness does not depend on it
	e.close()

	e2 := startE2E(t, dir)
	defer e2.close()
	want, err := e2.rt.Store.EventsAfter(context.Background(), last, "", true, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("nothing was missed")
	}
	st2 := e2.stream("", last)
	defer st2.stop()
	got := st2.until(func(ev event.Event) bool { return ev.Cursor == want[len(want)-1].Cursor })
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Cursor != want[i].Cursor || got[i].Kind != want[i].Kind {
			t.Fatalf("event %d: %d %s, want %d %s", i, got[i].Cursor, got[i].Kind, want[i].Cursor, want[i].Kind)
		}
	}
	// The shutdown's own events (the turn cut short) are among them.
	sawStop := false
	for _, ev := range got {
		sawStop = sawStop || (ev.Kind == event.SessionStatus && strings.Contains(string(ev.Data), `"status":"interrupted"`))
	}
	if !sawStop {
		t.Fatalf("shutdown events not replayed: %v", kindsOf(got))
	}
}

// TestSlowClientDoesNotSlowOthers: one SSE client never reads; another
// receives every event of a busy turn while the first is stalled.
func TestSlowClientDoesNotSlowOthers(t *testing.T) {
	e := startE2E(t, t.TempDir())
	defer e.close()
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir()}, &sess)

	// The stalled client: a raw connection that sends the request and never reads.
	conn, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	conn.Write([]byte("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + testToken + "\r\n\r\n"))

	fast := e.stream("?session="+sess.ID, 0)
	defer fast.stop()
	var run SendMessageResult
	// 4000 deltas of ~30 bytes as fast as the ticker allows.
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "chatty:2000:2"}, &run)
	evs := fast.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run.RunID })
	deltas := 0
	for _, ev := range evs {
		if ev.Kind == event.AssistantText && strings.Contains(string(ev.Data), `"delta":true`) {
			deltas++
		}
	}
	if deltas < 1000 {
		t.Fatalf("fast client got %d deltas", deltas)
	}
}

func TestProcessMethods(t *testing.T) {
	e := startE2EWith(t, t.TempDir(), `
[[capability]]
name = "say"
program = "echo"
args = [{ validator = "[a-z]+" }]

[[capability]]
name = "cat"
program = "cat"
args = []
`)
	defer e.close()
	var caps []Capability
	e.call("ListCapabilities", struct{}{}, &caps)
	if len(caps) != 2 || caps[0].Name != "say" || caps[0].Args[0].Validator == "" {
		t.Fatalf("%+v", caps)
	}
	var res ExecuteResult
	e.call("Execute", map[string]any{"capability": "say", "args": []string{"hello"}}, &res)
	if res.Code != 0 || res.Stdout != "hello\n" {
		t.Fatalf("%+v", res)
	}
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	code, body, _ := do(t, e.hs, "POST", "/api/call/Execute", `{"capability":"say","args":["rm -rf /"]}`, auth)
	if code != 403 || !strings.Contains(body, `"code":"policy_denied"`) || !strings.Contains(body, `"rule":"arg.pattern"`) {
		t.Fatalf("%d %s", code, body)
	}
	code, body, _ = do(t, e.hs, "POST", "/api/call/Execute", `{"capability":"agent:fake","args":[]}`, auth)
	if code != 403 {
		t.Fatalf("agent as capability: %d %s", code, body)
	}

	st := e.stream("", 0)
	defer st.stop()
	var sp SpawnResult
	e.call("Spawn", map[string]any{"capability": "cat", "args": []string{}}, &sp)
	var procs []ProcessInfo
	e.call("ListProcesses", struct{}{}, &procs)
	found := false
	for _, p := range procs {
		found = found || (p.ProcessID == sp.ProcessID && p.Name == "cat")
	}
	if !found {
		t.Fatalf("%s not listed: %+v", sp.ProcessID, procs)
	}
	e.call("WriteStdin", map[string]any{"processId": sp.ProcessID, "data": "ping\n"}, nil)
	st.until(func(ev event.Event) bool {
		return ev.Kind == event.Stdout && ev.ProcessID == sp.ProcessID && strings.Contains(string(ev.Data), "ping")
	})
	e.call("CloseStdin", map[string]any{"processId": sp.ProcessID}, nil)
	st.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.ProcessID == sp.ProcessID })
	code, _, _ = do(t, e.hs, "POST", "/api/call/Kill", `{"processId":"nope"}`, auth)
	if code != 404 {
		t.Fatalf("kill unknown: %d", code)
	}
}
