package session

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/store"
)

func TestMain(m *testing.M) {
	if os.Getenv(slowExitFakeEnv) != "" {
		// The fake Claude agent, slow to exit: once its stdin closes it
		// ignores SIGTERM and lingers for a second.
		signal.Ignore(syscall.SIGTERM)
		code := fakeagent.Main(os.Stdin, os.Stdout)
		time.Sleep(time.Second)
		os.Exit(code)
	}
	if fakeagent.Enabled() {
		os.Exit(fakeagent.Main(os.Stdin, os.Stdout))
	}
	if os.Getenv(lingerAgentEnv) != "" {
		// A per-turn JSON-lines agent that reports its turn done, then
		// takes a while to exit.
		io.Copy(io.Discard, os.Stdin) // error ignored: the turn is read whole
		os.Stdout.WriteString(`{"kind":"turn.completed","data":{"ok":true}}` + "\n")
		time.Sleep(time.Second)
		os.Exit(0)
	}
	if g := os.Getenv(gateAgentEnv); g != "" {
		os.Exit(gateAgent(g))
	}
	if os.Getenv(namingAgentEnv) != "" {
		// Gemini CLI's -p mode in brief: it names its conversation (after
		// the turn's text here) and fails turns that say "fail".
		in, _ := io.ReadAll(os.Stdin)
		text := strings.TrimSpace(string(in))
		os.Stdout.WriteString(`{"type":"init","session_id":"conv-` + text + `","model":"m"}` + "\n")
		if strings.Contains(text, "fail") {
			os.Stdout.WriteString(`{"type":"result","status":"error","error":{"type":"unknown","message":"[API Error: {\"error\":{\"code\":401}}]"}}` + "\n")
		} else {
			os.Stdout.WriteString(`{"type":"result","status":"success"}` + "\n")
		}
		os.Exit(0)
	}
	if os.Getenv(hangAgentEnv) != "" {
		// A per-turn agent that never ends its turn (until stopped).
		select {}
	}
	if mode := os.Getenv(silentAgentEnv); mode != "" {
		// An agent that reads its turns and never answers; in mode "tool"
		// it starts a tool call for each turn first.
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if mode == "tool" {
				os.Stdout.WriteString(`{"kind":"tool.call","data":{"id":"call-1","name":"Bash"}}` + "\n")
			}
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// fakeConfig configures the agent "fake": this test binary re-executed as
// the fake Claude Code CLI.
func fakeConfig(t testing.TB) *config.Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &config.Config{Agents: map[string]config.Agent{
		"fake": {Command: exe, Protocol: "claude", Env: map[string]string{fakeagent.EnvVar: "1"}},
	}}
}

// manualTimers is an injected AfterFunc: timers fire only when the test says.
type manualTimers struct {
	mu sync.Mutex
	fs []func()
}

func (m *manualTimers) AfterFunc(d time.Duration, f func()) func() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := len(m.fs)
	m.fs = append(m.fs, f)
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		ok := m.fs[i] != nil
		m.fs[i] = nil
		return ok
	}
}

func (m *manualTimers) fireAll() {
	m.mu.Lock()
	fs := append([]func(){}, m.fs...)
	for i := range m.fs {
		m.fs[i] = nil
	}
	m.mu.Unlock()
	for _, f := range fs {
		if f != nil {
			f()
		}
	}
}

func openRT(t *testing.T, dir string, timers *manualTimers) *Runtime {
	t.Helper()
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	if timers != nil {
		o.Manager.AfterFunc = timers.AfterFunc
	}
	rt, err := OpenRuntime(context.Background(), dir, fakeConfig(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func closeRT(t *testing.T, rt *Runtime) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// watcher collects a session's events from the bus.
type watcher struct {
	t   *testing.T
	sub *bus.Subscription
	got []event.Event
	buf []event.Event
}

func watch(t *testing.T, rt *Runtime, sessionID string, since int64) *watcher {
	sub, err := rt.Bus.Subscribe(context.Background(), since, bus.Filter{SessionID: sessionID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	return &watcher{t: t, sub: sub}
}

// until reads events until match returns true and returns the events read
// in this call; events after the match stay for the next call. The bound is
// generous: it only turns a hang into a failure.
func (w *watcher) until(match func(event.Event) bool) []event.Event {
	w.t.Helper()
	var got []event.Event
	deadline := time.After(30 * time.Second)
	for {
		for len(w.buf) > 0 {
			ev := w.buf[0]
			w.buf = w.buf[1:]
			got = append(got, ev)
			w.got = append(w.got, ev)
			if match(ev) {
				return got
			}
		}
		select {
		case batch, ok := <-w.sub.C:
			if !ok {
				w.t.Fatalf("subscription ended: %v", w.sub.Err())
			}
			w.buf = append(w.buf, batch...)
		case <-deadline:
			w.t.Fatalf("no matching event; got %d: %v", len(got), kindsOf(got))
		}
	}
}

func kind(k string) func(event.Event) bool { return func(ev event.Event) bool { return ev.Kind == k } }

func status(s Status) func(event.Event) bool {
	return func(ev event.Event) bool {
		if ev.Kind != event.SessionStatus {
			return false
		}
		var d store.StatusData
		json.Unmarshal(ev.Data, &d)
		return d.Status == string(s)
	}
}

func kindsOf(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func count(evs []event.Event, k string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

func TestEndToEndPermissionFlow(t *testing.T) {
	rt := openRT(t, t.TempDir(), nil)
	defer closeRT(t, rt)
	ctx := context.Background()
	m := rt.Manager

	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != Active || info.Agent != "fake" {
		t.Fatalf("%+v", info)
	}
	w := watch(t, rt, info.ID, 0)

	// A plain turn: text streams, the turn ends, the session is idle.
	if l, _ := m.List(ctx); len(l) != 1 || l[0].Status != Active {
		t.Fatalf("list before: %+v", l)
	}
	run1, err := m.Send(ctx, info.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	// List's cache never hides a change the manager made.
	if l, _ := m.List(ctx); len(l) != 1 || l[0].Status != Processing || l[0].RunID != run1 {
		t.Fatalf("list after send: %+v", l)
	}
	evs := w.until(status(Idle))
	if n := count(evs, event.AssistantText); n < 2 {
		t.Fatalf("text did not stream: %v", kindsOf(evs))
	}
	var exited []event.Event
	for _, e := range evs {
		if e.Kind == event.RunExited && e.RunID == run1 {
			exited = append(exited, e)
		}
		if e.Kind == event.AssistantText && e.RunID != run1 {
			t.Fatalf("text without its run id: %+v", e)
		}
	}
	if len(exited) != 1 {
		t.Fatalf("run %s has %d terminal events: %v", run1, len(exited), kindsOf(evs))
	}

	// A tool turn: permission request → allow → tool result → run.exited.
	run2, err := m.Send(ctx, info.ID, "tool:touch marker")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Send(ctx, info.ID, "again"); !errors.Is(err, ErrConflict) {
		t.Fatalf("second turn while running: %v", err)
	}
	evs = w.until(kind(event.PermissionRequest))
	var pr agent.PermissionRequestData
	json.Unmarshal(evs[len(evs)-1].Data, &pr)
	w.until(status(WaitingPermission))
	pend, err := rt.Store.PendingPermissions(info.ID)
	if err != nil || len(pend) != 1 || pend[0].Tool != "Bash" {
		t.Fatalf("pending not persisted: %v %+v", err, pend)
	}
	if got, _ := m.Get(ctx, info.ID); got.PendingPermissions != 1 || got.Status != WaitingPermission {
		t.Fatalf("get: %+v", got)
	}
	if err := m.RespondPermission(ctx, Answer{SessionID: info.ID, RequestID: pr.RequestID, Allow: true, By: "tester"}); err != nil {
		t.Fatal(err)
	}
	if err := m.RespondPermission(ctx, Answer{SessionID: info.ID, RequestID: pr.RequestID, Allow: false}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second answer: %v", err)
	}
	evs = w.until(func(e event.Event) bool { return e.Kind == event.RunExited && e.RunID == run2 })
	var sawResolved, sawResult bool
	for _, e := range evs {
		switch e.Kind {
		case event.PermissionResolved:
			var d store.ResolvedData
			json.Unmarshal(e.Data, &d)
			sawResolved = d.Decision == store.PermissionAllow && d.By == "tester"
		case event.ToolResult:
			var d agent.ToolResultData
			json.Unmarshal(e.Data, &d)
			sawResult = d.Output == "ran: touch marker" && !sawResult
			if !sawResolved {
				t.Fatal("tool result before the decision was recorded")
			}
		}
	}
	if !sawResolved || !sawResult {
		t.Fatalf("resolved=%v result=%v: %v", sawResolved, sawResult, kindsOf(evs))
	}
	p, err := rt.Store.GetPermission(info.ID + "/" + pr.RequestID)
	if err != nil || p.Status != store.PermissionAllow || p.DecidedBy != "tester" || p.DecidedAt.IsZero() {
		t.Fatalf("audit: %v %+v", err, p)
	}
	w.until(status(Idle))

	got, err := m.Get(ctx, info.ID)
	if err != nil || got.Messages != 2 || got.CostUSD <= 0 || got.AgentSessionID != fakeagent.SessionID || got.EventCount == 0 || got.Title != "echo: hello" {
		t.Fatalf("get: %v %+v", err, got)
	}
	page, more, err := m.Events(ctx, info.ID, 0, 3)
	if err != nil || len(page) != 3 || !more || page[0].Seq != 1 {
		t.Fatalf("events page: %v %d %v", err, len(page), more)
	}
	list, err := m.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != info.ID {
		t.Fatalf("list: %v %+v", err, list)
	}
}

func TestPermissionTimeoutDenies(t *testing.T) {
	timers := &manualTimers{}
	rt := openRT(t, t.TempDir(), timers)
	defer closeRT(t, rt)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	if _, err := rt.Manager.Send(ctx, info.ID, "tool:rm -rf x"); err != nil {
		t.Fatal(err)
	}
	w.until(status(WaitingPermission))
	timers.fireAll()
	evs := w.until(status(Idle))
	var reason string
	for _, e := range evs {
		if e.Kind == event.PermissionResolved {
			var d store.ResolvedData
			json.Unmarshal(e.Data, &d)
			if d.Decision != store.PermissionExpired || d.By != "corral" {
				t.Fatalf("resolved %+v", d)
			}
			reason = d.Message
		}
		if e.Kind == event.ToolResult {
			var d agent.ToolResultData
			json.Unmarshal(e.Data, &d)
			if !d.IsError {
				t.Fatalf("tool ran after a timeout: %+v", d)
			}
		}
	}
	if reason == "" {
		t.Fatalf("no reason: %v", kindsOf(evs))
	}
}

func TestInterruptStopResumeDelete(t *testing.T) {
	rt := openRT(t, t.TempDir(), nil)
	defer closeRT(t, rt)
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	if err := m.Interrupt(ctx, info.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("interrupt with no turn: %v", err)
	}
	run, err := m.Send(ctx, info.ID, "slow:100000")
	if err != nil {
		t.Fatal(err)
	}
	w.until(kind(event.AssistantText))
	if err := m.Interrupt(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	evs := w.until(status(Interrupted))
	if n := count(evs, event.RunExited); n != 1 {
		t.Fatalf("terminal events: %v", kindsOf(evs))
	}
	// The agent survives an interrupt: the next turn runs in it.
	if _, err := m.Send(ctx, info.ID, "after"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))

	// A crash mid-turn ends the run once, with an error.
	crashRun, err := m.Send(ctx, info.ID, "crash")
	if err != nil {
		t.Fatal(err)
	}
	evs = w.until(status(Error))
	n := 0
	for _, e := range evs {
		if e.Kind == event.RunExited && e.RunID == crashRun {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("crash run terminal events %d: %v", n, kindsOf(evs))
	}
	// The next message restarts the agent.
	if _, err := m.Send(ctx, info.ID, "back"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))
	_ = run

	if err := m.Stop(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	w.until(status(Terminated))
	if _, err := m.Send(ctx, info.ID, "x"); !errors.Is(err, ErrConflict) {
		t.Fatalf("send to terminated: %v", err)
	}
	// Resuming a terminated session continues the conversation in a new one.
	resumed, err := m.Resume(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.ID == info.ID || resumed.AgentSessionID != fakeagent.SessionID {
		t.Fatalf("resumed %+v", resumed)
	}
	if err := m.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, info.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := m.Delete(ctx, resumed.ID); err != nil {
		t.Fatal(err)
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	rt := openRT(t, t.TempDir(), nil)
	defer closeRT(t, rt)
	ctx := context.Background()
	if _, err := rt.Manager.Create(ctx, CreateOptions{Agent: "nope", Cwd: t.TempDir()}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown agent: %v", err)
	}
	if _, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: "relative"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("relative cwd: %v", err)
	}
	if _, err := rt.Manager.Get(ctx, "s-missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestRestartRecoversAndReplays(t *testing.T) {
	dir := t.TempDir()
	rt := openRT(t, dir, nil)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	run, err := rt.Manager.Send(ctx, info.ID, "slow:100000")
	if err != nil {
		t.Fatal(err)
	}
	w.until(kind(event.AssistantText))
	closeRT(t, rt) // corral stops mid-turn

	rt2 := openRT(t, dir, nil)
	defer closeRT(t, rt2)
	got, err := rt2.Manager.Get(ctx, info.ID)
	if err != nil || got.Status != Interrupted {
		t.Fatalf("after restart: %v %+v", err, got)
	}
	// Every event from the start replays once, in order, and the run has
	// exactly one terminal event.
	w2 := watch(t, rt2, info.ID, 0)
	last, _ := rt2.Store.LastCursor()
	evs := w2.until(func(e event.Event) bool { return e.Cursor == last })
	terminal := 0
	for i, e := range evs {
		if i > 0 && (e.Seq != evs[i-1].Seq+1 || e.Cursor <= evs[i-1].Cursor) {
			t.Fatalf("out of order at %d", i)
		}
		if e.Kind == event.RunExited && e.RunID == run {
			terminal++
		}
	}
	if terminal != 1 {
		t.Fatalf("run %s: %d terminal events", run, terminal)
	}
	// The session is usable again: the agent is resumed on the next message.
	w3 := watch(t, rt2, info.ID, last)
	if _, err := rt2.Manager.Send(ctx, info.ID, "again"); err != nil {
		t.Fatal(err)
	}
	w3.until(status(Idle))
}

func TestIdleCleanupStopsTheAgent(t *testing.T) {
	now := time.Now()
	var clock sync.Mutex
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.IdleTimeout = time.Minute
	o.Manager.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	rt, err := OpenRuntime(context.Background(), t.TempDir(), fakeConfig(t), o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	if _, err := rt.Manager.Send(ctx, info.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))
	if s := rt.Manager.CleanupIdle(); len(s) != 0 {
		t.Fatalf("stopped too early: %v", s)
	}
	clock.Lock()
	now = now.Add(2 * time.Minute)
	clock.Unlock()
	tick := make(chan time.Time)
	rt.Manager.StartJanitor(tick)
	tick <- now
	// The agent process (its run id starts with "p-") ends; no turn does.
	evs := w.until(func(e event.Event) bool { return e.Kind == event.RunExited && strings.HasPrefix(e.RunID, "p-") })
	if count(evs, event.SessionStatus) != 0 {
		t.Fatalf("idle cleanup changed the status: %v", kindsOf(evs))
	}
	// The session stays and resumes on the next message.
	if _, err := rt.Manager.Send(ctx, info.ID, "hi again"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))
}

func TestCreateWithMissingCLIRemovesTheSession(t *testing.T) {
	cfg := &config.Config{Agents: map[string]config.Agent{"ghost": {Command: "/nonexistent/agent-cli", Protocol: "claude"}}}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	_, err = rt.Manager.Create(ctx, CreateOptions{Agent: "ghost", Cwd: t.TempDir()})
	var denied *policy.Denied
	if !errors.As(err, &denied) || denied.Rule != policy.RuleProgramNotFound {
		t.Fatalf("err %v", err)
	}
	if l, _ := rt.Manager.List(ctx); len(l) != 0 {
		t.Fatalf("a dead session was kept: %+v", l)
	}
}

func TestPerTurnTextAgent(t *testing.T) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Fatalf("this test runs cat as a plain-text agent and cannot find it: %v", err)
	}
	cfg := &config.Config{Agents: map[string]config.Agent{"echo": {Command: cat, Protocol: "text"}}}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "echo", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	for _, text := range []string{"first turn", "second turn"} {
		run, err := rt.Manager.Send(ctx, info.ID, text)
		if err != nil {
			t.Fatal(err)
		}
		evs := w.until(status(Idle))
		var sawText bool
		for _, e := range evs {
			if e.Kind == event.AssistantText && strings.Contains(string(e.Data), text) && e.RunID == run {
				sawText = true
			}
		}
		if !sawText {
			t.Fatalf("%q not echoed: %v", text, kindsOf(evs))
		}
		// The turn ends with its process (whose run.exited comes first).
		procExits := 0
		for _, e := range evs {
			if e.Kind == event.RunExited && strings.HasPrefix(e.RunID, "p-") {
				procExits++
			}
		}
		if procExits != 1 || count(evs, event.RunExited) != 2 {
			t.Fatalf("exits: %v", kindsOf(evs))
		}
	}
}
