package sessioncontract

import (
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/session"
)

// A message with an image sent while Claude Code's turn streams is queued
// with it; when the turn ends it is sent and the model's request holds the
// same image bytes.
func TestClaudeQueuedMessageWithImage(t *testing.T) {
	r := newRig(t, clitest.Claude, slowFirst(300*time.Millisecond))
	s := r.create("")
	w := r.watch(s.ID)
	first, err := r.mgr().SendOrQueue(r.ctx, s.ID, "first message")
	if err != nil || first.Queued {
		t.Fatalf("first: %+v %v", first, err)
	}
	w.until("text of the first turn", isKind(event.AssistantText))
	pic := testPNG(t)
	q, err := r.mgr().SendOrQueueWithAttachments(r.ctx, s.ID, "the queued picture", []session.NewAttachment{
		{Name: "dot.png", MimeType: "image/png", Data: pic}})
	if err != nil || !q.Queued {
		t.Fatalf("during the turn: %+v %v", q, err)
	}
	w.turnEnd(first.RunID)
	evs := w.until("the queued message sent", isKind(event.QueueSent))
	sent := data[struct {
		RunID string `json:"runId"`
	}](t, evs[len(evs)-1])
	if tc := completed(t, w.turnEnd(sent.RunID)); !tc.OK {
		t.Fatalf("turn.completed %+v", tc)
	}
	w.settled(session.Idle)
	req := requestWith(t, r, "the queued picture")
	if imgs := req.Images(); len(imgs) != 1 || string(imgs[0].Data) != string(pic) {
		t.Fatalf("images in the model request: %d", len(imgs))
	}
	r.checkLog(s.ID)
}

// Codex takes a queued message with an image into its running turn
// (turn/steer with a localImage item): a request of that turn holds it.
func TestCodexSteerQueuedMessageWithImage(t *testing.T) {
	r := newRig(t, clitest.Codex, slowFirst(400*time.Millisecond))
	s := r.create("")
	w := r.watch(s.ID)
	first, err := r.mgr().SendOrQueue(r.ctx, s.ID, "first message")
	if err != nil || first.Queued {
		t.Fatalf("first: %+v %v", first, err)
	}
	w.until("text of the first turn", isKind(event.AssistantText))
	q, err := r.mgr().SendOrQueueWithAttachments(r.ctx, s.ID, "steer with this picture", []session.NewAttachment{
		{Name: "dot.png", MimeType: "image/png", Data: testPNG(t)}})
	if err != nil || !q.Queued {
		t.Fatalf("during the turn: %+v %v", q, err)
	}
	if run, err := r.mgr().SendQueuedNow(r.ctx, s.ID, q.MessageID); err != nil || run != first.RunID {
		t.Fatalf("SendQueuedNow: %q %v (turn %s)", run, err, first.RunID)
	}
	evs := w.turnEnd(first.RunID)
	if n := len(ofKind(evs, event.RunStarted)); n != 0 {
		t.Fatalf("the steered message started a turn of its own: %s", kinds(evs))
	}
	w.settled(session.Idle)
	req := requestWith(t, r, "steer with this picture")
	if imgs := req.Images(); len(imgs) != 1 || imgs[0].MimeType != "image/png" {
		t.Fatalf("images in the model request: %d %+v", len(imgs), imgs)
	}
	r.checkLog(s.ID)
}

// slowFirst answers the first model request slowly (time to queue a
// message during its turn) and every other one at once.
func slowFirst(d time.Duration) mockllm.Scenario {
	return mockllm.ScenarioFunc(func(req *mockllm.Request) mockllm.Reply {
		if req.Index == 0 {
			return mockllm.Reply{Text: "a slow first answer in quite a few words to leave time", Delay: d}
		}
		return mockllm.Reply{Text: "reply to " + req.LastUserText()}
	})
}

// requestWith returns the last model request whose user text holds s.
func requestWith(t *testing.T, r *rig, s string) mockllm.Request {
	t.Helper()
	reqs := r.mock.ModelRequests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if strings.Contains(strings.Join(reqs[i].UserTexts(), "\n"), s) {
			return reqs[i]
		}
	}
	t.Fatalf("no model request holds %q: %d requests", s, len(reqs))
	return mockllm.Request{}
}
