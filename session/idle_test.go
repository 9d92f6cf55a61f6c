package session

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// slowExitFakeEnv makes the test binary the fake Claude agent that takes a
// second to exit once stopped.
const slowExitFakeEnv = "CORRAL_TEST_SLOW_EXIT_FAKE"

// A message sent while idle cleanup's stop of the agent is still under way
// waits for that agent to exit and starts a fresh one: the turn succeeds,
// nothing is reported as crashed and the session does not go to error.
func TestSendWhileIdleStopRetiresTheAgent(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	cfg := &config.Config{
		Agents:   map[string]config.Agent{"fake": {Command: exe, Protocol: "claude", Env: map[string]string{slowExitFakeEnv: "1"}}},
		Sessions: config.Sessions{IdleTimeout: time.Minute},
	}
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.Now = clock.Now
	o.Manager.StopGrace = 30 * time.Second
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	id := idleSession(t, rt)
	first, _ := rt.Manager.Get(ctx, id)
	w := watch(t, rt, id, 0)
	clock.add(time.Minute)
	if stopped := rt.Manager.CleanupIdle(); !slices.Equal(stopped, []string{id}) {
		t.Fatalf("stopped %v, want %s", stopped, id)
	}
	// The stopped agent lingers for a second; this message races its exit.
	run, err := rt.Manager.Send(ctx, id, "again")
	if err != nil {
		t.Fatalf("send while the idle agent exits: %v", err)
	}
	evs := w.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run })
	for _, ev := range evs {
		if ev.Kind == event.ErrorKind {
			t.Fatalf("error event %s", ev.Data)
		}
	}
	var end store.RunEnd
	json.Unmarshal(evs[len(evs)-1].Data, &end) // error ignored: checked below
	if end.Reason != "exit" {
		t.Fatalf("turn ended %+v, want exit", end)
	}
	for _, ev := range evs {
		if ev.Kind == event.RunStarted && ev.RunID == run && (first.Process == nil || ev.ProcessID == first.Process.ID) {
			t.Fatalf("the turn went to the stopped agent %s (first %+v)", ev.ProcessID, first.Process)
		}
	}
	// The status the turn's end set is the next one after its run.exited.
	last := w.until(kind(event.SessionStatus))
	var st store.StatusData
	json.Unmarshal(last[len(last)-1].Data, &st) // error ignored: checked below
	if st.Status != string(Idle) {
		t.Fatalf("status %+v after the turn, want idle", st)
	}
}
