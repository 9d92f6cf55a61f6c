package session

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func TestQueueOrSend(t *testing.T) {
	for _, c := range []struct {
		running       bool
		queued        int
		paused, queue bool
	}{
		{false, 0, false, false}, // idle, nothing waiting: a turn
		{true, 0, false, true},   // a turn runs: queued
		{true, 3, true, true},    // a turn runs, queue paused: queued all the same
		{false, 2, false, true},  // messages about to go: behind them
		{false, 2, true, false},  // a paused queue does not hold back a new turn
	} {
		if got := queueOrSend(c.running, c.queued, c.paused); got != c.queue {
			t.Errorf("queueOrSend(%v, %d, %v) = %v", c.running, c.queued, c.paused, got)
		}
	}
}

func TestQueueAfterTurn(t *testing.T) {
	for _, c := range []struct {
		st     Status
		queued int
		paused bool
		want   queueStep
	}{
		{Idle, 2, false, queueNext},               // turn ok: the next goes
		{Error, 2, false, queuePause},             // failed turn: pause
		{Interrupted, 1, false, queuePause},       // interrupted: pause
		{Terminated, 1, false, queuePause},        // stopped: pause
		{WaitingPermission, 1, false, queuePause}, // (a turn never ends in it; not ok either)
		{Idle, 0, false, queueHold},               // nothing queued
		{Idle, 2, true, queueHold},                // paused stays paused until resumed
		{Error, 2, true, queueHold},
	} {
		if got := queueAfterTurn(c.st, c.queued, c.paused); got != c.want {
			t.Errorf("queueAfterTurn(%s, %d, %v) = %v, want %v", c.st, c.queued, c.paused, got, c.want)
		}
	}
}

// prompts returns the prompts of the run.started events among evs.
func prompts(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Kind == event.RunStarted {
			var d struct{ Prompt string }
			json.Unmarshal(e.Data, &d)
			out = append(out, d.Prompt)
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// untilSent reads events until n queue.sent events were read and the turn
// of the last one ended.
func untilSent(w *watcher, n int) []event.Event {
	var evs []event.Event
	for count(evs, event.QueueSent) < n {
		evs = append(evs, w.until(kind(event.QueueSent))...)
	}
	var d store.QueueEventData
	json.Unmarshal(evs[len(evs)-1].Data, &d)
	return append(evs, w.until(func(e event.Event) bool { return e.Kind == event.RunExited && e.RunID == d.RunID })...)
}

func queueMsg(t *testing.T, m *Manager, id, text string, pos int) SendResult {
	t.Helper()
	r, err := m.SendOrQueue(context.Background(), id, text)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Queued || r.RunID != "" || r.MessageID == "" || r.Position != pos {
		t.Fatalf("SendOrQueue %q during a turn: %+v, want queued at %d", text, r, pos)
	}
	return r
}

// Two messages queued during a turn are sent in order as the next turns;
// a cancelled one is not sent, an edited one is sent with its new text.
func TestQueuedMessagesAreSentInOrder(t *testing.T) {
	rt, info, w := fakeSession(t)
	ctx, m := context.Background(), rt.Manager
	r, err := m.SendOrQueue(ctx, info.ID, "slow:40")
	if err != nil || r.Queued || r.RunID == "" {
		t.Fatalf("first message: %+v %v", r, err)
	}
	a := queueMsg(t, m, info.ID, "first", 1)
	b := queueMsg(t, m, info.ID, "doomed", 2)
	c := queueMsg(t, m, info.ID, "third", 3)
	d := queueMsg(t, m, info.ID, "last", 4)
	if err := m.CancelQueued(ctx, info.ID, b.MessageID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.EditQueued(ctx, info.ID, c.MessageID, "third, edited"); err != nil {
		t.Fatal(err)
	}
	if err := m.CancelQueued(ctx, info.ID, b.MessageID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancel twice: %v", err)
	}
	// Send now is refused for an agent that cannot take a message mid-turn.
	if _, err := m.SendQueuedNow(ctx, info.ID, a.MessageID); !errors.Is(err, ErrNoSteer) || !errors.Is(err, ErrConflict) {
		t.Fatalf("send now during a Claude turn: %v", err)
	}
	qi, err := m.ListQueued(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(qi.Messages) != 3 || qi.Paused || qi.CanSteer || qi.Messages[0].ID != a.MessageID ||
		qi.Messages[1].Text != "third, edited" || qi.Messages[1].Position != 2 || qi.Messages[2].ID != d.MessageID {
		t.Fatalf("queue %+v", qi)
	}
	evs := untilSent(w, 3)
	if got := prompts(evs); !sameStrings(got, []string{"slow:40", "first", "third, edited", "last"}) {
		t.Fatalf("turns %q; events %v", got, kindsOf(evs))
	}
	var sent []string
	for _, e := range evs {
		if e.Kind == event.QueueSent {
			var d store.QueueEventData
			json.Unmarshal(e.Data, &d)
			if d.RunID == "" {
				t.Fatalf("queue.sent without its run: %s", e.Data)
			}
			sent = append(sent, d.MessageID)
		}
	}
	if !sameStrings(sent, []string{a.MessageID, c.MessageID, d.MessageID}) || count(evs, event.QueueCancelled) != 1 || count(evs, event.QueueEdited) != 1 {
		t.Fatalf("queue events: %v", kindsOf(evs))
	}
	w.until(status(Idle))
	if qi, _ := m.ListQueued(ctx, info.ID); len(qi.Messages) != 0 {
		t.Fatalf("queue after: %+v", qi)
	}
	// Nothing runs: a message is a turn again.
	if r, err := m.SendOrQueue(ctx, info.ID, "now"); err != nil || r.Queued || r.RunID == "" {
		t.Fatalf("idle send: %+v %v", r, err)
	}
	w.until(status(Idle))
}

// A turn that fails pauses the queue; ResumeQueue sends the next message.
// While the turn waits for a permission, the queue waits with it.
func TestQueuePausesOnFailureAndWaitsForPermission(t *testing.T) {
	rt, info, w := fakeSession(t)
	ctx, m := context.Background(), rt.Manager
	if _, err := m.Send(ctx, info.ID, "tool:true"); err != nil {
		t.Fatal(err)
	}
	evs := w.until(kind(event.PermissionRequest))
	var pr agent.PermissionRequestData
	json.Unmarshal(evs[len(evs)-1].Data, &pr)
	w.until(status(WaitingPermission))
	queueMsg(t, m, info.ID, "autherr", 1)
	after := queueMsg(t, m, info.ID, "after the failure", 2)
	if qi, _ := m.ListQueued(ctx, info.ID); len(qi.Messages) != 2 || qi.Paused {
		t.Fatalf("queue while waiting for permission: %+v", qi)
	}
	if err := m.RespondPermission(ctx, Answer{SessionID: info.ID, RequestID: pr.RequestID, Allow: true, By: "t"}); err != nil {
		t.Fatal(err)
	}
	// The tool turn ends ok: "autherr" goes, fails, and the queue pauses.
	evs = w.until(kind(event.QueuePaused))
	if got := prompts(evs); !sameStrings(got, []string{"autherr"}) {
		t.Fatalf("turns %q: %v", got, kindsOf(evs))
	}
	qi, err := m.ListQueued(ctx, info.ID)
	if err != nil || len(qi.Messages) != 1 || !qi.Paused || qi.PausedReason == "" || qi.Messages[0].ID != after.MessageID {
		t.Fatalf("queue after a failed turn: %+v %v", qi, err)
	}
	if got, _ := m.Get(ctx, info.ID); got.Status != Error {
		t.Fatalf("status %s", got.Status)
	}
	run, err := m.ResumeQueue(ctx, info.ID)
	if err != nil || run == "" {
		t.Fatalf("ResumeQueue: %q %v", run, err)
	}
	evs = w.until(func(e event.Event) bool { return e.Kind == event.RunExited && e.RunID == run })
	if got := prompts(evs); !sameStrings(got, []string{"after the failure"}) || count(evs, event.QueueResumed) != 1 {
		t.Fatalf("after resume: %q %v", got, kindsOf(evs))
	}
	if qi, _ := m.ListQueued(ctx, info.ID); len(qi.Messages) != 0 || qi.Paused {
		t.Fatalf("queue at the end: %+v", qi)
	}
}

// The queue is stored: a restart of corral keeps it, paused, and
// ResumeQueue sends it.
func TestQueueSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	rt := openRT(t, dir, nil)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Manager.Send(ctx, info.ID, "slow:100000"); err != nil {
		t.Fatal(err)
	}
	a := queueMsg(t, rt.Manager, info.ID, "one", 1)
	b := queueMsg(t, rt.Manager, info.ID, "two", 2)
	if _, err := rt.Manager.EditQueued(ctx, info.ID, b.MessageID, "two, edited"); err != nil {
		t.Fatal(err)
	}
	closeRT(t, rt)

	rt = openRT(t, dir, nil)
	defer closeRT(t, rt)
	m := rt.Manager
	qi, err := m.ListQueued(ctx, info.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(qi.Messages) != 2 || qi.Messages[0].ID != a.MessageID || qi.Messages[1].Text != "two, edited" || !qi.Paused || qi.PausedReason != pausedRestart {
		t.Fatalf("queue after restart: %+v", qi)
	}
	w := watch(t, rt, info.ID, 0)
	run, err := m.ResumeQueue(ctx, info.ID)
	if err != nil || run == "" {
		t.Fatalf("ResumeQueue: %q %v", run, err)
	}
	evs := untilSent(w, 2)
	if got := prompts(evs); !sameStrings(got[len(got)-2:], []string{"one", "two, edited"}) {
		t.Fatalf("turns %q", got)
	}
	w.until(status(Idle))
	// Deleting the session deletes its queue.
	if err := m.Delete(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if q, err := rt.Store.ListQueued(info.ID); err != nil || len(q) != 0 {
		t.Fatalf("queue of a deleted session: %+v %v", q, err)
	}
}

// gateAgentEnv makes the test binary a per-turn JSON-lines agent: a turn
// whose text is "wait" ends only once the file named by the variable
// exists; every turn then reports its end and the process lingers a
// little before it exits.
const gateAgentEnv = "CORRAL_TEST_GATE_AGENT"

func gateAgent(gate string) int {
	in, _ := io.ReadAll(os.Stdin)
	if strings.TrimSpace(string(in)) == "wait" {
		for {
			if _, err := os.Stat(gate); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.Stdout.WriteString(`{"kind":"turn.completed","data":{"ok":true}}` + "\n")
	time.Sleep(300 * time.Millisecond)
	return 0
}

// A per-turn agent's queue goes on once the previous turn's process has
// exited: each queued message gets a process and a turn of its own, in
// order.
func TestQueueOfAPerTurnAgent(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(t.TempDir(), "gate")
	cfg := &config.Config{Agents: map[string]config.Agent{
		"gate": {Command: exe, Protocol: "jsonl-per-turn", Env: map[string]string{gateAgentEnv: gate}},
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
	m := rt.Manager
	s, err := m.Create(ctx, CreateOptions{Agent: "gate", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, s.ID, 0)
	if _, err := m.Send(ctx, s.ID, "wait"); err != nil {
		t.Fatal(err)
	}
	queueMsg(t, m, s.ID, "q1", 1)
	queueMsg(t, m, s.ID, "q2", 2)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	evs := untilSent(w, 2)
	if got := prompts(evs); !sameStrings(got, []string{"wait", "q1", "q2"}) {
		t.Fatalf("turns %q: %v", got, kindsOf(evs))
	}
	w.until(status(Idle))
	if qi, _ := m.ListQueued(ctx, s.ID); len(qi.Messages) != 0 || qi.Paused {
		t.Fatalf("queue at the end: %+v", qi)
	}
}

// A queued message is a new turn: once the turn before it has spent the
// session's budget, it is not sent (the queue pauses) until the cap is
// raised.
func TestQueuedMessageRespectsTheBudget(t *testing.T) {
	rt, info, w := fakeSession(t)
	ctx, m := context.Background(), rt.Manager
	tiny := 0.000001
	if err := m.SetBudget(ctx, info.ID, store.Budget{USD: &tiny}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Send(ctx, info.ID, "slow:300"); err != nil {
		t.Fatal(err)
	}
	w.until(kind(event.AssistantText))
	queueMsg(t, m, info.ID, "over the cap", 1)
	evs := w.until(kind(event.QueuePaused))
	if got := prompts(evs); len(got) != 0 {
		t.Fatalf("turns started past the cap: %q", got)
	}
	qi, err := m.ListQueued(ctx, info.ID)
	if err != nil || len(qi.Messages) != 1 || !qi.Paused || !strings.Contains(qi.PausedReason, "budget") {
		t.Fatalf("queue after the cap was reached: %+v %v", qi, err)
	}
}
