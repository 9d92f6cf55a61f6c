package sessioncontract

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/session"
)

// A message sent while Claude Code's turn streams is queued, and sent as
// the next turn once that turn ends: the model's second request carries
// it after the first turn.
func TestClaudeQueuedMessage(t *testing.T) {
	r := newRig(t, clitest.Claude, mockllm.ScenarioFunc(func(req *mockllm.Request) mockllm.Reply {
		if req.Index == 0 {
			return mockllm.Reply{Text: "a slow first answer in several words", Delay: 300 * time.Millisecond}
		}
		return mockllm.Reply{Text: "reply to " + req.LastUserText()}
	}))
	s := r.create("")
	w := r.watch(s.ID)
	first, err := r.mgr().SendOrQueue(r.ctx, s.ID, "first message")
	if err != nil || first.Queued {
		t.Fatalf("first: %+v %v", first, err)
	}
	w.until("text of the first turn", isKind(event.AssistantText))
	q, err := r.mgr().SendOrQueue(r.ctx, s.ID, "the queued message")
	if err != nil || !q.Queued || q.Position != 1 {
		t.Fatalf("during the turn: %+v %v", q, err)
	}
	w.turnEnd(first.RunID)
	evs := w.until("the queued message sent", isKind(event.QueueSent))
	sent := data[struct {
		MessageID string `json:"messageId"`
		RunID     string `json:"runId"`
	}](t, evs[len(evs)-1])
	if sent.MessageID != q.MessageID || sent.RunID == "" {
		t.Fatalf("queue.sent %+v", sent)
	}
	if got := text(t, w.turnEnd(sent.RunID)); got != "reply to the queued message" {
		t.Fatalf("second turn text %q", got)
	}
	w.settled(session.Idle)
	reqs := r.mock.ModelRequests()
	last := reqs[len(reqs)-1].UserTexts()
	if len(reqs) != 2 || !slices.Equal(last, []string{"first message", "the queued message"}) {
		t.Fatalf("%d model requests; the last carries %q", len(reqs), strings.Join(last, "|"))
	}
	r.checkLog(s.ID)
}

// Codex takes a queued message into its running turn (turn/steer): sent
// with SendQueuedNow while the model streams, it reaches the model within
// the same turn, and its queue.sent names that turn.
func TestCodexSteerQueuedMessage(t *testing.T) {
	r := newRig(t, clitest.Codex, mockllm.ScenarioFunc(func(req *mockllm.Request) mockllm.Reply {
		if req.Index == 0 {
			return mockllm.Reply{Text: "a slow first answer in quite a few words to leave time", Delay: 400 * time.Millisecond}
		}
		return mockllm.Reply{Text: "reply to " + req.LastUserText()}
	}))
	s := r.create("")
	w := r.watch(s.ID)
	first, err := r.mgr().SendOrQueue(r.ctx, s.ID, "first message")
	if err != nil || first.Queued {
		t.Fatalf("first: %+v %v", first, err)
	}
	w.until("text of the first turn", isKind(event.AssistantText))
	q, err := r.mgr().SendOrQueue(r.ctx, s.ID, "steer this way")
	if err != nil || !q.Queued {
		t.Fatalf("during the turn: %+v %v", q, err)
	}
	if qi, err := r.mgr().ListQueued(r.ctx, s.ID); err != nil || !qi.CanSteer {
		t.Fatalf("codex queue: %+v %v", qi, err)
	}
	run, err := r.mgr().SendQueuedNow(r.ctx, s.ID, q.MessageID)
	if err != nil || run != first.RunID {
		t.Fatalf("SendQueuedNow: %q %v (turn %s)", run, err, first.RunID)
	}
	evs := w.turnEnd(first.RunID)
	sent := ofKind(evs, event.QueueSent)
	if len(sent) != 1 {
		t.Fatalf("queue.sent: %s", kinds(evs))
	}
	d := data[struct {
		RunID   string `json:"runId"`
		Steered bool   `json:"steered"`
	}](t, sent[0])
	if d.RunID != first.RunID || !d.Steered {
		t.Fatalf("queue.sent %+v", d)
	}
	w.settled(session.Idle)
	var carried bool
	for i, req := range r.mock.ModelRequests() {
		t.Logf("model request %d: %q", i, req.UserTexts())
		if slices.Contains(req.UserTexts(), "steer this way") {
			carried = true
		}
	}
	if !carried {
		t.Fatalf("no model request carries the steered message: %d requests", len(r.mock.ModelRequests()))
	}
	if n := len(ofKind(evs, event.RunStarted)); n != 0 {
		t.Fatalf("the steered message started a turn of its own: %s", kinds(evs))
	}
	if tc := completed(t, evs); !tc.OK {
		t.Fatalf("turn.completed %+v", tc)
	}
	r.checkLog(s.ID)
}
