package api

import (
	"context"

	"github.com/corral-dev/corral/session"
)

// MessageQueue is what the queue methods need of the session manager
// (*session.Manager implements it; the facade finds it on its Sessions).
// Without it SendMessage refuses a message during a turn (conflict) and
// the queue methods fail with code internal ("not available").
type MessageQueue interface {
	SendOrQueue(ctx context.Context, sessionID, text string) (session.SendResult, error)
	ListQueued(ctx context.Context, sessionID string) (session.QueueInfo, error)
	EditQueued(ctx context.Context, sessionID, messageID, text string) (session.Queued, error)
	CancelQueued(ctx context.Context, sessionID, messageID string) error
	ResumeQueue(ctx context.Context, sessionID string) (runID string, err error)
	SendQueuedNow(ctx context.Context, sessionID, messageID string) (runID string, err error)
}

// QueuedParams name one queued message of a session.
type QueuedParams struct {
	SessionID string `json:"sessionId"`
	MessageID string `json:"messageId"`
}

// EditQueuedParams are the parameters of EditQueued.
type EditQueuedParams struct {
	SessionID string `json:"sessionId"`
	MessageID string `json:"messageId"`
	Text      string `json:"text"`
}

// RunResult names the run a call started; empty when it started none.
type RunResult struct {
	RunID string `json:"runId,omitempty"`
}

func (a *API) queue() (MessageQueue, error) {
	q, ok := a.sessions.(MessageQueue)
	if !ok {
		return nil, Errorf(CodeInternal, "the message queue is not available in this build")
	}
	return q, nil
}

// sendOrQueue is SendMessage: a turn, or the queue while a turn runs.
func (a *API) sendOrQueue(ctx context.Context, p SendMessageParams) (SendMessageResult, error) {
	q, ok := a.sessions.(MessageQueue)
	if !ok {
		id, err := a.sessions.Send(ctx, p.SessionID, p.Text)
		return SendMessageResult{RunID: id}, err
	}
	r, err := q.SendOrQueue(ctx, p.SessionID, p.Text)
	return SendMessageResult{RunID: r.RunID, Queued: r.Queued, MessageID: r.MessageID, Position: r.Position}, err
}

// ListQueued returns the messages waiting in a session's queue, in the
// order they will be sent, whether the queue is paused and whether the
// agent can take one into its running turn (SendQueuedNow).
func (a *API) ListQueued(ctx context.Context, p SessionParams) (session.QueueInfo, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.QueueInfo{}, err
	}
	q, err := a.queue()
	if err != nil {
		return session.QueueInfo{}, err
	}
	return q.ListQueued(ctx, p.SessionID)
}

// EditQueued replaces the text of a message that is still queued
// (not_found once it was sent or cancelled).
func (a *API) EditQueued(ctx context.Context, p EditQueuedParams) (session.Queued, error) {
	for _, f := range [][2]string{{"sessionId", p.SessionID}, {"messageId", p.MessageID}, {"text", p.Text}} {
		if err := required(f[0], f[1]); err != nil {
			return session.Queued{}, err
		}
	}
	q, err := a.queue()
	if err != nil {
		return session.Queued{}, err
	}
	return q.EditQueued(ctx, p.SessionID, p.MessageID, p.Text)
}

// CancelQueued removes a message from the queue unsent.
func (a *API) CancelQueued(ctx context.Context, p QueuedParams) (Empty, error) {
	if err := requiredQueued(p); err != nil {
		return Empty{}, err
	}
	q, err := a.queue()
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, q.CancelQueued(ctx, p.SessionID, p.MessageID)
}

// ResumeQueue lets a paused queue send again: its next message is sent at
// once when no turn runs (the run it started is returned), otherwise when
// the running turn ends successfully.
func (a *API) ResumeQueue(ctx context.Context, p SessionParams) (RunResult, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return RunResult{}, err
	}
	q, err := a.queue()
	if err != nil {
		return RunResult{}, err
	}
	run, err := q.ResumeQueue(ctx, p.SessionID)
	return RunResult{RunID: run}, err
}

// SendQueuedNow sends one queued message now: into the running turn when
// the agent can take it there (QueueInfo.CanSteer), as the next turn when
// no turn runs; otherwise conflict, and the message stays queued.
func (a *API) SendQueuedNow(ctx context.Context, p QueuedParams) (RunResult, error) {
	if err := requiredQueued(p); err != nil {
		return RunResult{}, err
	}
	q, err := a.queue()
	if err != nil {
		return RunResult{}, err
	}
	run, err := q.SendQueuedNow(ctx, p.SessionID, p.MessageID)
	return RunResult{RunID: run}, err
}

func requiredQueued(p QueuedParams) error {
	if err := required("sessionId", p.SessionID); err != nil {
		return err
	}
	return required("messageId", p.MessageID)
}
