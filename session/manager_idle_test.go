package session

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t)
	cfg.Agents["silent"] = config.Agent{Command: exe, Protocol: "jsonl", Env: map[string]string{silentAgentEnv: "1"}}
	cfg.Limits.IdleTimeout = time.Minute
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	o.Manager.AfterFunc, o.Manager.Now = timers.AfterFunc, clock.Now
	o.Manager.PermissionTimeout = -1
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
