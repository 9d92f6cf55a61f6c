package session

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// silentAgentEnv makes the test binary a JSON-lines agent that reads its
// turns and prints nothing: a CLI stuck on a model stream that stalled.
const silentAgentEnv = "CORRAL_TEST_SILENT_AGENT"

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// idleRT opens a runtime with agent "silent" (protocol jsonl), the fake
// Claude agent "fake", [limits] idle_timeout = 1m, and the test's clock.
func idleRT(t *testing.T, timers *manualTimers, clock *testClock) *Runtime {
	return idleRTWith(t, timers, clock, nil)
}

// idleRTWith is idleRT with the store wrapped by wrap (nil: not wrapped).
func idleRTWith(t *testing.T, timers *manualTimers, clock *testClock, wrap func(Recorder) Recorder) *Runtime {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t)
	cfg.Agents["silent"] = config.Agent{Command: exe, Protocol: "jsonl", Env: map[string]string{silentAgentEnv: "1"}}
	cfg.Agents["tooling"] = config.Agent{Command: exe, Protocol: "jsonl", Env: map[string]string{silentAgentEnv: "tool"}}
	cfg.Limits.IdleTimeout = time.Minute
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	o.Manager.AfterFunc, o.Manager.Now = timers.AfterFunc, clock.Now
	o.Manager.PermissionTimeout = -1
	o.WrapRecorder = wrap
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// A turn whose agent prints nothing for the idle timeout ends with a typed
// error, run.exited reason "timeout" and status error; the agent is
// stopped and the next message starts it again.
func TestTurnIdleTimeoutEndsASilentTurn(t *testing.T) {
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := idleRT(t, timers, clock)
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "silent", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	run, err := rt.Manager.Send(ctx, s.ID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	w.until(status(Processing))

	// Before the limit the check only re-arms itself.
	clock.add(59 * time.Second)
	timers.fireAll()
	if in, _ := rt.Manager.Get(ctx, s.ID); in.RunID != run || in.Status != Processing {
		t.Fatalf("ended before the idle timeout: %+v", in)
	}

	clock.add(2 * time.Second)
	timers.fireAll()
	evs := w.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run })
	var typed bool
	for _, ev := range evs {
		if ev.Kind == event.ErrorKind && ev.RunID == run && strings.Contains(string(ev.Data), `"type":"idle_timeout"`) {
			typed = true
		}
	}
	if !typed {
		t.Fatalf("no idle_timeout error: %v", kindsOf(evs))
	}
	var end store.RunEnd
	json.Unmarshal(evs[len(evs)-1].Data, &end)
	if end.Reason != "timeout" {
		t.Fatalf("run end %+v", end)
	}
	w.until(status(Error))
	// The stopped agent exits; until then a new message is a conflict.
	w.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && strings.HasPrefix(ev.RunID, "p-") })
	deadline := time.Now().Add(30 * time.Second)
	for {
		run2, err := rt.Manager.Send(ctx, s.ID, "again")
		if err == nil {
			if run2 == run {
				t.Fatal("same run id")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("send after the agent was stopped: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.until(status(Processing))
}

// A turn waiting for a permission answer is waiting for the user: the idle
// check does not end it, and a finished turn's check is cancelled.
func TestTurnIdleTimeoutWaitsForPermissionAnswers(t *testing.T) {
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := idleRT(t, timers, clock)
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	run, err := rt.Manager.Send(ctx, s.ID, "tool:echo hi")
	if err != nil {
		t.Fatal(err)
	}
	evs := w.until(kind(event.PermissionRequest))
	var req struct {
		RequestID string `json:"requestId"`
	}
	json.Unmarshal(evs[len(evs)-1].Data, &req)
	clock.add(time.Hour)
	timers.fireAll()
	if in, _ := rt.Manager.Get(ctx, s.ID); in.RunID != run || in.Status != WaitingPermission {
		t.Fatalf("a turn waiting for the user ended: %+v", in)
	}
	if err := rt.Manager.RespondPermission(ctx, Answer{SessionID: s.ID, RequestID: req.RequestID, Allow: true}); err != nil {
		t.Fatal(err)
	}
	evs = w.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run })
	var end store.RunEnd
	json.Unmarshal(evs[len(evs)-1].Data, &end)
	if end.Reason != "exit" {
		t.Fatalf("run end %+v", end)
	}
	w.until(status(Idle))
	// The finished turn's check was cancelled: firing what is left changes nothing.
	clock.add(time.Hour)
	timers.fireAll()
	if in, _ := rt.Manager.Get(ctx, s.ID); in.Status != Idle {
		t.Fatalf("status %s after the turn ended", in.Status)
	}
}

// A turn with a tool call still running is working, not stalled: a long
// command prints nothing until it ends.
func TestTurnIdleTimeoutWaitsForRunningTools(t *testing.T) {
	timers, clock := &manualTimers{}, &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := idleRT(t, timers, clock)
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "tooling", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	run, err := rt.Manager.Send(ctx, s.ID, "build it")
	if err != nil {
		t.Fatal(err)
	}
	w.until(kind(event.ToolCall))
	clock.add(time.Hour)
	timers.fireAll()
	if in, _ := rt.Manager.Get(ctx, s.ID); in.RunID != run || in.Status != Processing {
		t.Fatalf("a turn with a running tool ended: %+v", in)
	}
}

// lingerAgentEnv makes the test binary a per-turn JSON-lines agent that
// reports its turn done and exits a second later.
const lingerAgentEnv = "CORRAL_TEST_LINGER_AGENT"

// A per-turn agent's session shows idle as soon as the agent reports its
// turn done; a message sent then must not be refused because the turn's
// process has not exited yet.
func TestPerTurnSendWaitsForThePreviousProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Agents: map[string]config.Agent{
		"linger": {Command: exe, Protocol: "jsonl-per-turn", Env: map[string]string{lingerAgentEnv: "1"}},
	}}
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	o.Manager.Adapters = DefaultAdapters()
	o.Manager.Adapters["jsonl-per-turn"] = agent.Generic{JSONL: true, PerTurnMode: true}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "linger", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	for i, msg := range []string{"one", "two", "three"} {
		run, err := rt.Manager.Send(ctx, s.ID, msg)
		if err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
		w.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run })
		w.until(status(Idle))
	}
}

// namingAgentEnv makes the test binary a Gemini-like per-turn agent that announces
// the conversation id "conv-<text>" and fails turns whose text says fail.
const namingAgentEnv = "CORRAL_TEST_NAMING_AGENT"

// A per-turn agent's conversation id is adopted only from a turn that
// succeeded: Gemini announces an id before the model answers and saves
// the conversation only when it does, so resuming the id of a failed
// first turn would fail every later turn.
func TestPerTurnAgentIDAdoptedOnSuccess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Agents: map[string]config.Agent{
		"naming": {Command: exe, Protocol: "gemini", Env: map[string]string{namingAgentEnv: "1"}},
	}}
	o := RuntimeOptions{MonitorInterval: -1}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "naming", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	turn := func(text string, want Status) {
		t.Helper()
		if _, err := rt.Manager.Send(ctx, s.ID, text); err != nil {
			t.Fatal(err)
		}
		w.until(status(want))
	}
	turn("fail", Error)
	if in, _ := rt.Manager.Get(ctx, s.ID); in.AgentSessionID != "" {
		t.Fatalf("a failed turn's id was adopted: %q", in.AgentSessionID)
	}
	turn("good", Idle)
	if in, _ := rt.Manager.Get(ctx, s.ID); in.AgentSessionID != "conv-good" {
		t.Fatalf("id %q, want conv-good", in.AgentSessionID)
	}
	turn("later fail", Error)
	if in, _ := rt.Manager.Get(ctx, s.ID); in.AgentSessionID != "conv-good" {
		t.Fatalf("id %q after a failed later turn, want conv-good", in.AgentSessionID)
	}
}
