package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// The message queue of a session. A message sent while a turn runs waits
// in the queue (SendOrQueue) instead of being refused; it is stored, so
// it survives a restart of corral. When a turn ends successfully the
// session sends the next queued message as its next turn, in order. When
// a turn ends otherwise (error, interrupted, stopped, timed out) the
// queue pauses: nothing more is sent until ResumeQueue (or SendQueuedNow).
// A queue that corral finds in the store at start-up is paused too: no
// message reaches an agent after a restart without the user asking.
// A paused queue that empties is no longer paused.
//
// The queue is part of the session's actor state (the rows are written
// through the store's queue, each with its queue.* event, in order with
// the session's other writes); the decisions are the pure functions
// queueOrSend and queueAfterTurn.

// Queued is one message waiting in a session's queue (ListQueued).
type Queued struct {
	ID string `json:"id"`
	// Position is its place in the queue: 1 is sent next.
	Position  int       `json:"position"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Attachments are the files sent with the message (queue_attach.go).
	Attachments []AttachmentInfo `json:"attachments,omitempty"`
}

// QueueInfo is a session's queue as a client shows it.
type QueueInfo struct {
	Messages []Queued `json:"messages"`
	// Paused: the queue waits for ResumeQueue; PausedReason says why.
	Paused       bool   `json:"paused"`
	PausedReason string `json:"pausedReason,omitempty"`
	// CanSteer: the session's agent takes a message into its running turn
	// (SendQueuedNow during a turn); otherwise a queued message waits for
	// the turn's end.
	CanSteer bool `json:"canSteer"`
}

// SendResult is what SendOrQueue did with a message: started a turn
// (RunID) or queued it (Queued, MessageID, Position).
type SendResult struct {
	RunID     string
	Queued    bool
	MessageID string
	Position  int
}

// Why a queue pauses.
const (
	pausedRestart = "corral restarted with messages queued"
	pausedFailed  = "the turn did not end successfully"
)

// msgQueue is a session's queue on its actor; loaded from the store on
// first use.
type msgQueue struct {
	loaded bool
	items  []store.QueuedMessage
	paused bool
	reason string
}

// queueOrSend decides whether a message goes to the queue rather than
// start a turn: while a turn runs, and behind messages that are about to
// be sent (a queue that is not paused and not empty).
func queueOrSend(turnRunning bool, queued int, paused bool) bool {
	return turnRunning || (queued > 0 && !paused)
}

// queueStep is what a session's queue does after a turn ended.
type queueStep int

const (
	queueHold  queueStep = iota // nothing to do (empty, or already paused)
	queueNext                   // send the next message when the session can
	queuePause                  // pause until the user resumes
)

// queueAfterTurn decides what a queue of queued messages (paused or not)
// does when a turn ended and left the session in status st: a successful
// turn (idle) sends the next one, any other end pauses the queue.
func queueAfterTurn(st Status, queued int, paused bool) queueStep {
	switch {
	case queued == 0 || paused:
		return queueHold
	case st == Idle:
		return queueNext
	}
	return queuePause
}

// loadQueue reads the session's stored queue once (on the actor).
func (m *Manager) loadQueue(l *live) error {
	if l.q.loaded {
		return nil
	}
	items, err := m.o.Recorder.ListQueued(l.id)
	if err != nil {
		return err
	}
	l.q = msgQueue{loaded: true, items: items}
	if len(items) > 0 {
		l.q.paused, l.q.reason = true, pausedRestart
	}
	return nil
}

// SendOrQueue sends text as a turn, or queues it while a turn runs (see
// queueOrSend). A queued message is committed to the store before this
// returns.
func (m *Manager) SendOrQueue(ctx context.Context, id, text string) (SendResult, error) {
	r, err := m.send(ctx, id, agent.UserTurn{Text: text}, true)
	if err == nil && r.Queued {
		m.durable(ctx, id)
	}
	return r, err
}

// durable waits for the queue's writes so far to commit; a failure is
// the store's to report (the writes are kept and retried).
func (m *Manager) durable(ctx context.Context, id string) {
	if err := m.o.Recorder.Sync(context.WithoutCancel(ctx)); err != nil {
		m.log.Warn("the message queue is not yet stored", "session", id, "err", err)
	}
}

// maybeQueue queues the message if the session should (on the actor); ok
// is false when the message is to be sent now. Its attachments, stored
// already, are linked to the queued message.
func (m *Manager) maybeQueue(l *live, ut agent.UserTurn) (SendResult, bool, error) {
	if err := m.loadQueue(l); err != nil {
		return SendResult{}, false, err
	}
	if l.status == Terminated || l.stopping || !queueOrSend(l.turn != "", len(l.q.items), l.q.paused) {
		return SendResult{}, false, nil
	}
	q := store.QueuedMessage{ID: newID("q-"), SessionID: l.id, Text: ut.Text, CreatedAt: m.o.Now(),
		Attachments: queuedRefs(ut.Attachments)}
	q.UpdatedAt = q.CreatedAt
	if err := m.o.Recorder.QueueAddMessage(q, len(l.q.items)+1); err != nil {
		return SendResult{}, false, err
	}
	l.q.items = append(l.q.items, q)
	return SendResult{Queued: true, MessageID: q.ID, Position: len(l.q.items)}, true, nil
}

// queueAfter carries out what the queue does after the turn state machine
// ran (on the actor): a turn that ended (effects hold an efEndTurn)
// either lets the next message go or pauses the queue; then the next
// message is sent if the session can take it now (for a per-turn agent,
// once the previous turn's process has exited).
func (m *Manager) queueAfter(l *live, effects []turnEffect) {
	if !l.q.loaded {
		return
	}
	for _, e := range effects {
		if _, ok := e.(efEndTurn); ok {
			if queueAfterTurn(l.status, len(l.q.items), l.q.paused) == queuePause {
				m.pauseQueue(l, fmt.Sprintf("%s (%s)", pausedFailed, l.status))
			}
			break
		}
	}
	m.pumpQueue(l) // error ignored: logged; the queue pauses
}

func (m *Manager) pauseQueue(l *live, reason string) {
	l.q.paused, l.q.reason = true, reason
	ev := event.New(event.QueuePaused, map[string]any{"reason": reason, "queued": len(l.q.items)})
	ev.SessionID, ev.Time = l.id, m.o.Now()
	m.append(ev)
}

// pumpQueue sends the next queued message when the queue is not paused
// and the session can start a turn now. The error is that of a turn that
// could not start (the queue is then paused).
func (m *Manager) pumpQueue(l *live) error {
	if l.q.paused || len(l.q.items) == 0 || l.status == WaitingPermission {
		return nil
	}
	exiting := (l.adapter.PerTurn() && l.proc != nil) || l.retiring
	if sendBlock(m.stateOf(l), l.id, exiting) != nil {
		return nil
	}
	_, err := m.dispatch(l, 0, false)
	if err != nil {
		m.log.Warn("cannot send a queued message", "session", l.id, "err", err)
	}
	return err
}

// dispatch sends the queued message at index i (on the actor): as the
// next turn, or into the running turn when steer is set. A message the
// session could not start a turn with stays queued and the queue pauses.
func (m *Manager) dispatch(l *live, i int, steer bool) (string, error) {
	q := l.q.items[i]
	var run string
	turn, err := m.queuedTurn(q)
	switch {
	case err != nil:
	case steer:
		// A steered message spends within the running turn: refused once
		// the caps are reached, as a new turn would be.
		if lv, n := decideBudget(l.acct.caps, l.acct.base); lv == budgetReached {
			err = budgetError(n)
			break
		}
		err = l.conn.(agent.Steerer).Steer(turn)
		if errors.Is(err, agent.ErrNotReady) {
			err = fmt.Errorf("%w: the agent has not started its turn yet; send it again in a moment", ErrConflict)
		}
		run = l.turn
	default:
		// A queued message is a new turn: the budget decides as for one
		// sent now.
		if err = m.budgetBlock(l); err == nil {
			run, err = m.beginTurn(l, turn)
		}
	}
	if err != nil {
		if !steer {
			m.pauseQueue(l, "the queued message could not be sent: "+err.Error())
		}
		return "", err
	}
	l.q.items = append(l.q.items[:i:i], l.q.items[i+1:]...)
	if len(l.q.items) == 0 {
		l.q.paused, l.q.reason = false, ""
	}
	m.record("take a queued message", l.id, m.o.Recorder.QueueRemoveMessage(l.id, event.QueueSent,
		store.QueueEventData{MessageID: q.ID, Text: q.Text, RunID: run, Steered: steer, Attachments: q.Attachments}))
	return run, nil
}

// canSteer reports whether the session's agent takes input into a running
// turn (the registry's Steer, and its Conn implements agent.Steerer).
func (m *Manager) canSteer(l *live) bool {
	cfg, _ := m.agentConfig(l.agentName)
	e, ok := agent.Lookup(cfg.Protocol)
	return ok && e.Steer
}

// queueCall runs fn on the session's actor with its queue loaded.
func queueCall[T any](m *Manager, id string, fn func(l *live) (T, error)) (T, error) {
	l, _, err := m.ensureLive(id)
	if err != nil {
		var zero T
		return zero, err
	}
	return call(m, l, func() (T, error) {
		if err := m.loadQueue(l); err != nil {
			var zero T
			return zero, err
		}
		return fn(l)
	})
}

// ListQueued returns a session's queue.
func (m *Manager) ListQueued(_ context.Context, id string) (QueueInfo, error) {
	return queueCall(m, id, func(l *live) (QueueInfo, error) { return m.queueInfo(l), nil })
}

func (m *Manager) queueInfo(l *live) QueueInfo {
	qi := QueueInfo{Messages: make([]Queued, len(l.q.items)), Paused: l.q.paused && len(l.q.items) > 0, CanSteer: m.canSteer(l)}
	if qi.Paused {
		qi.PausedReason = l.q.reason
	}
	for i, q := range l.q.items {
		qi.Messages[i] = queuedView(q, i+1)
	}
	return qi
}

// queued returns the index of message msgID in l's queue, or ErrNotFound.
func queued(l *live, msgID string) (int, error) {
	for i, q := range l.q.items {
		if q.ID == msgID {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: no queued message %q in session %s (sent or cancelled already?)", ErrNotFound, msgID, l.id)
}

// EditQueued replaces the text of a message still queued.
func (m *Manager) EditQueued(ctx context.Context, id, msgID, text string) (Queued, error) {
	q, err := queueCall(m, id, func(l *live) (Queued, error) {
		i, err := queued(l, msgID)
		if err != nil {
			return Queued{}, err
		}
		if err := m.o.Recorder.QueueEditMessage(l.id, msgID, text); err != nil {
			return Queued{}, err
		}
		it := &l.q.items[i]
		it.Text, it.UpdatedAt = text, m.o.Now()
		return queuedView(*it, i+1), nil
	})
	if err == nil {
		m.durable(ctx, id)
	}
	return q, err
}

// CancelQueued removes a message from the queue unsent, with its files.
func (m *Manager) CancelQueued(ctx context.Context, id, msgID string) error {
	_, err := queueCall(m, id, func(l *live) (struct{}, error) {
		i, err := queued(l, msgID)
		if err != nil {
			return struct{}{}, err
		}
		if err := m.o.Recorder.QueueRemoveMessage(l.id, event.QueueCancelled, store.QueueEventData{MessageID: msgID}); err != nil {
			return struct{}{}, err
		}
		m.dropQueuedFiles(l.q.items[i])
		l.q.items = append(l.q.items[:i:i], l.q.items[i+1:]...)
		if len(l.q.items) == 0 {
			l.q.paused, l.q.reason = false, ""
		}
		return struct{}{}, nil
	})
	if err == nil {
		m.durable(ctx, id)
	}
	return err
}

// ResumeQueue lets a paused queue send again: the next message is sent at
// once when no turn runs (starting the agent if needed), else when the
// running turn ends successfully. It returns the run it started, if any.
func (m *Manager) ResumeQueue(ctx context.Context, id string) (string, error) {
	run, err := queueCall(m, id, func(l *live) (string, error) {
		if len(l.q.items) == 0 {
			return "", nil
		}
		if l.status == Terminated {
			return "", fmt.Errorf("%w: session %s is terminated; resume it to continue", ErrConflict, id)
		}
		if l.q.paused {
			l.q.paused, l.q.reason = false, ""
			ev := event.New(event.QueueResumed, map[string]any{"queued": len(l.q.items)})
			ev.SessionID, ev.Time = l.id, m.o.Now()
			m.append(ev)
		}
		before := len(l.q.items)
		if err := m.pumpQueue(l); err != nil {
			return "", err
		}
		if len(l.q.items) < before {
			return l.turn, nil
		}
		return "", nil
	})
	if err == nil {
		m.durable(ctx, id)
	}
	return run, err
}

// ErrNoSteer: the session's agent cannot take a message during a turn.
var ErrNoSteer = errors.New("session: the agent cannot take a message during its turn")

// SendQueuedNow sends one queued message now: into the running turn when
// the agent can take it there (Codex), or as the next turn when none runs
// (the queue resumes). During a turn of an agent that cannot, it fails
// with ErrNoSteer (wrapping ErrConflict) and the message stays queued.
func (m *Manager) SendQueuedNow(ctx context.Context, id, msgID string) (string, error) {
	run, err := queueCall(m, id, func(l *live) (string, error) {
		i, err := queued(l, msgID)
		if err != nil {
			return "", err
		}
		if l.turn != "" {
			if _, ok := l.conn.(agent.Steerer); !ok || !m.canSteer(l) {
				return "", fmt.Errorf("%w: %w (it is sent when the turn ends)", ErrConflict, ErrNoSteer)
			}
			return m.dispatch(l, i, true)
		}
		exiting := (l.adapter.PerTurn() && l.proc != nil) || l.retiring
		if err := sendBlock(m.stateOf(l), id, exiting); err != nil {
			return "", err
		}
		l.q.paused, l.q.reason = false, ""
		return m.dispatch(l, i, false)
	})
	if err == nil {
		m.durable(ctx, id)
	}
	return run, err
}
