package session

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/store"
)

// hangAgentEnv makes the test binary an agent that prints nothing and
// runs until it is stopped.
const hangAgentEnv = "CORRAL_TEST_HANG_AGENT"

// failTurnRuns is the store refusing to queue the run of a turn (as a
// closed store does), while the runs of processes go through.
type failTurnRuns struct{ Recorder }

var errRunRefused = errors.New("store: closed")

func (r failTurnRuns) QueueCreateRun(x store.Run) error {
	if x.ProcessID != "" {
		return errRunRefused
	}
	return r.Recorder.QueueCreateRun(x)
}

// A per-turn agent's process carries its turn: when the turn's run cannot
// be queued, the message fails and the process started for it is stopped,
// not left running with no turn.
func TestPerTurnProcessStoppedWhenItsRunCannotBeQueued(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Agents: map[string]config.Agent{
		"hang": {Command: exe, Protocol: "jsonl-per-turn", Env: map[string]string{hangAgentEnv: "1"}},
	}}
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	o.Manager.Adapters = DefaultAdapters()
	o.Manager.Adapters["jsonl-per-turn"] = agent.Generic{JSONL: true, PerTurnMode: true}
	o.WrapRecorder = func(r Recorder) Recorder { return failTurnRuns{r} }
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	s, err := rt.Manager.Create(ctx, CreateOptions{Agent: "hang", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Manager.Send(ctx, s.ID, "hello"); !errors.Is(err, errRunRefused) {
		t.Fatalf("send: %v, want the store's refusal", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		in, err := rt.Manager.Get(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if in.Process == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the turn's process still runs: %+v", in.Process)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
