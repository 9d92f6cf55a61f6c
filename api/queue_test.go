package api

import (
	"context"
	"testing"

	"github.com/corral-dev/corral/session"
)

// fakeQueue is fakeSessions with a message queue: it records the calls and
// answers SendOrQueue as queued.
type fakeQueue struct {
	fakeSessions
}

func (f *fakeQueue) SendOrQueue(_ context.Context, id, text string) (session.SendResult, error) {
	return session.SendResult{Queued: true, MessageID: "q-1", Position: 2}, f.rec("SendOrQueue " + id + " " + text)
}
func (f *fakeQueue) ListQueued(_ context.Context, id string) (session.QueueInfo, error) {
	return session.QueueInfo{Messages: []session.Queued{{ID: "q-1", Position: 1, Text: "t"}}}, f.rec("ListQueued " + id)
}
func (f *fakeQueue) EditQueued(_ context.Context, id, msg, text string) (session.Queued, error) {
	return session.Queued{ID: msg, Position: 1, Text: text}, f.rec("EditQueued " + id + " " + msg + " " + text)
}
func (f *fakeQueue) CancelQueued(_ context.Context, id, msg string) error {
	return f.rec("CancelQueued " + id + " " + msg)
}
func (f *fakeQueue) ResumeQueue(_ context.Context, id string) (string, error) {
	return "r2", f.rec("ResumeQueue " + id)
}
func (f *fakeQueue) SendQueuedNow(_ context.Context, id, msg string) (string, error) {
	return "r3", f.rec("SendQueuedNow " + id + " " + msg)
}

// SendMessage goes through the queue when the manager has one; the queue
// methods check their parameters and pass them down; without a queue they
// are internal and SendMessage starts a turn as before.
func TestQueueMethods(t *testing.T) {
	ctx := context.Background()
	f := &fakeQueue{}
	a := New(f, nil)
	r, err := a.SendMessage(ctx, SendMessageParams{SessionID: "s1", Text: "hi"})
	if err != nil || !r.Queued || r.MessageID != "q-1" || r.Position != 2 || r.RunID != "" {
		t.Fatalf("SendMessage: %+v %v", r, err)
	}
	if q, err := a.ListQueued(ctx, SessionParams{SessionID: "s1"}); err != nil || len(q.Messages) != 1 {
		t.Fatalf("ListQueued: %+v %v", q, err)
	}
	if q, err := a.EditQueued(ctx, EditQueuedParams{SessionID: "s1", MessageID: "q-1", Text: "new"}); err != nil || q.Text != "new" {
		t.Fatalf("EditQueued: %+v %v", q, err)
	}
	if _, err := a.CancelQueued(ctx, QueuedParams{SessionID: "s1", MessageID: "q-1"}); err != nil {
		t.Fatal(err)
	}
	if r, err := a.ResumeQueue(ctx, SessionParams{SessionID: "s1"}); err != nil || r.RunID != "r2" {
		t.Fatalf("ResumeQueue: %+v %v", r, err)
	}
	if r, err := a.SendQueuedNow(ctx, QueuedParams{SessionID: "s1", MessageID: "q-1"}); err != nil || r.RunID != "r3" {
		t.Fatalf("SendQueuedNow: %+v %v", r, err)
	}
	want := []string{"SendOrQueue s1 hi", "ListQueued s1", "EditQueued s1 q-1 new", "CancelQueued s1 q-1", "ResumeQueue s1", "SendQueuedNow s1 q-1"}
	if len(f.calls) != len(want) {
		t.Fatalf("calls %q", f.calls)
	}
	for i := range want {
		if f.calls[i] != want[i] {
			t.Fatalf("calls %q, want %q", f.calls, want)
		}
	}
	for name, err := range map[string]error{
		"edit without text":      second(a.EditQueued(ctx, EditQueuedParams{SessionID: "s1", MessageID: "q-1"})),
		"cancel without message": second(a.CancelQueued(ctx, QueuedParams{SessionID: "s1"})),
		"now without session":    second(a.SendQueuedNow(ctx, QueuedParams{MessageID: "q-1"})),
		"list without session":   second(a.ListQueued(ctx, SessionParams{})),
	} {
		if AsError(err).Code != CodeInvalidArgument {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A session error keeps its code.
	f.err = session.ErrNotFound
	if _, err := a.CancelQueued(ctx, QueuedParams{SessionID: "s1", MessageID: "gone"}); AsError(err).Code != CodeNotFound {
		t.Fatalf("cancel of a message gone: %v", err)
	}

	plain := New(&fakeSessions{}, nil)
	if r, err := plain.SendMessage(ctx, SendMessageParams{SessionID: "s1", Text: "hi"}); err != nil || r.RunID != "r1" || r.Queued {
		t.Fatalf("SendMessage without a queue: %+v %v", r, err)
	}
	if _, err := plain.ListQueued(ctx, SessionParams{SessionID: "s1"}); AsError(err).Code != CodeInternal {
		t.Fatalf("ListQueued without a queue: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
