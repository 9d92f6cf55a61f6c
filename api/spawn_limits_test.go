package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/supervise"
)

// A spawned capability is bounded by its max_output like a one-shot
// Execute: `yes` would stream forever, and is stopped at the cap.
func TestSpawnStopsAtTheOutputCap(t *testing.T) {
	e := startE2EWith(t, t.TempDir(), `
[[capability]]
name = "yes"
program = "yes"
args = []
max_output = 1000
`)
	defer e.close()
	st := e.stream("", 0)
	defer st.stop()
	var sp SpawnResult
	e.call("Spawn", map[string]any{"capability": "yes", "args": []string{}}, &sp)
	evs := st.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.ProcessID == sp.ProcessID })

	var r supervise.Result
	if err := json.Unmarshal(evs[len(evs)-1].Data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Reason != supervise.ReasonOutputLimit || r.Limit != supervise.LimitMaxOutput || r.Restarts != 0 {
		t.Fatalf("run.exited %s; want reason output-limit, limit max_output", evs[len(evs)-1].Data)
	}
	var lines, exits int
	var truncs []supervise.Truncated
	for _, ev := range evs {
		if ev.ProcessID != sp.ProcessID {
			continue
		}
		switch ev.Kind {
		case event.Stdout:
			var o supervise.OutputText
			json.Unmarshal(ev.Data, &o)
			if o.Text != "y" {
				t.Fatalf("stdout %s", ev.Data)
			}
			lines++
		case event.RunExited:
			exits++
		case event.OutputTruncated:
			var tr supervise.Truncated
			json.Unmarshal(ev.Data, &tr)
			truncs = append(truncs, tr)
		}
	}
	// "y\n" counts 2 bytes: 500 lines fill the 1000 exactly.
	if lines != 500 || exits != 1 {
		t.Fatalf("%d stdout lines, %d run.exited; want 500 and 1", lines, exits)
	}
	if len(truncs) != 1 || truncs[0].Reason != "output limit" || truncs[0].Limit != supervise.LimitMaxOutput ||
		truncs[0].Max != 1000 || truncs[0].Stdout.Lines == 0 || truncs[0].Stdout.Bytes != 2*truncs[0].Stdout.Lines {
		t.Fatalf("output.truncated %+v; want one report of the cut lines", truncs)
	}
	var procs []ProcessInfo
	e.call("ListProcesses", struct{}{}, &procs)
	for _, p := range procs {
		if p.ProcessID == sp.ProcessID {
			t.Fatalf("%s still listed after its run.exited", sp.ProcessID)
		}
	}
}

// max_concurrent bounds the live spawns of a capability, and a slot is
// given back when the process ends.
func TestSpawnHoldsAConcurrencySlot(t *testing.T) {
	e := startE2EWith(t, t.TempDir(), `
[[capability]]
name = "cat"
program = "cat"
args = []
max_concurrent = 1
`)
	defer e.close()
	st := e.stream("", 0)
	defer st.stop()
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	var sp SpawnResult
	e.call("Spawn", map[string]any{"capability": "cat", "args": []string{}}, &sp)
	code, body, _ := do(t, e.hs, "POST", "/api/call/Spawn", `{"capability":"cat","args":[]}`, auth)
	if code != 429 || !strings.Contains(body, `"code":"limit_reached"`) {
		t.Fatalf("second spawn: %d %s", code, body)
	}
	e.call("CloseStdin", map[string]any{"processId": sp.ProcessID}, nil)
	st.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.ProcessID == sp.ProcessID })
	// The slot is released right after the terminal event is queued, which
	// the stream may deliver first: retry until it is back. The deadline
	// only keeps a broken release from hanging the test.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body, _ = do(t, e.hs, "POST", "/api/call/Spawn", `{"capability":"cat","args":[]}`, auth)
		if code == 200 {
			break
		}
		if code != 429 || time.Now().After(deadline) {
			t.Fatalf("spawn after the first ended: %d %s", code, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var env struct{ Result SpawnResult }
	json.Unmarshal([]byte(body), &env)
	e.call("Kill", map[string]any{"processId": env.Result.ProcessID}, nil)
	st.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.ProcessID == env.Result.ProcessID })
}
