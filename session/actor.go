package session

import (
	"sync"
	"time"

	"github.com/corral-dev/corral/event"
)

// The actor of a live session: one goroutine owns the session's state
// (the fields of live below its mailbox) and is the only one to read or
// change it. Everything that happens to the session reaches it as a
// message in its mailbox, handled one at a time in arrival order:
//
//   - commands: the Manager's API methods (Send, Interrupt,
//     RespondPermission, Stop, Resume, Delete, the live part of Get/List,
//     CleanupIdle, Shutdown), each with its own reply channel;
//   - agentEventMsg: an event the agent's output tap decoded;
//   - procEventMsg: a supervisor event of one of the session's processes;
//   - permExpiryMsg, idleCheckMsg: timers of the injected clock firing.
//
// The actor runs while the session has something live: a process, a
// running turn, a pending permission request, an armed timer, or a message
// to handle. When none is left it ends; the state stays in live, and the
// next message starts a new actor, which carries on from it (the mailbox's
// lock orders the two goroutines). Delete and Shutdown end it for good:
// every later message is refused with the session's typed error
// (ErrNotFound after Delete, ErrClosed after Shutdown), and the Manager
// waits for its actors in Shutdown.
//
// Back-pressure: commands, supervisor events and timer fires are never
// refused for lack of room (there are few of them). Decoded agent events
// are bounded (maxQueuedAgentEvents): the tap, on the agent's output
// reader, waits for room only when that many are waiting, that is when the
// actor itself waits (on the store's full queue, or a write to the agent's
// stdin). Up to then the reader keeps reading while the actor or the store
// is slow, and a slow store slows the agent's pipe only as it did before
// (the store's queue is bounded too).

// maxQueuedAgentEvents bounds the decoded agent events waiting for a
// session's actor.
const maxQueuedAgentEvents = 1 << 14

// message is one input of a session's actor.
type message interface {
	// handle acts on the message (on the actor's goroutine).
	handle(m *Manager, l *live)
	// drop is called instead when the actor ended for good with err.
	drop(l *live, err error)
}

// mailbox is a session's inbox and the lifecycle of its actor.
type mailbox struct {
	mu      sync.Mutex
	q       []message
	running bool  // an actor goroutine exists
	ended   error // non-nil: ended for good, posts are refused with it
	wake    chan struct{}
	gone    chan struct{}   // closed when ended
	slots   chan struct{}   // one per queued agent event
	actors  *sync.WaitGroup // the Manager's, counts running actors
}

func newMailbox(actors *sync.WaitGroup) mailbox {
	return mailbox{wake: make(chan struct{}, 1), gone: make(chan struct{}),
		slots: make(chan struct{}, maxQueuedAgentEvents), actors: actors}
}

// post queues msg, starting an actor when none runs. It fails only when
// the actor ended for good.
func (m *Manager) post(l *live, msg message) error {
	mb := &l.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.ended != nil {
		return mb.ended
	}
	mb.q = append(mb.q, msg)
	if mb.running {
		select {
		case mb.wake <- struct{}{}:
		default:
		}
		return nil
	}
	mb.running = true
	mb.actors.Add(1)
	go m.runActor(l)
	return nil
}

// postEvent queues a decoded agent event, waiting while
// maxQueuedAgentEvents are queued (see the back-pressure note above). An
// event for an ended session is dropped.
func (m *Manager) postEvent(l *live, msg agentEventMsg) {
	select {
	case l.mb.slots <- struct{}{}:
	case <-l.mb.gone:
		return
	}
	if m.post(l, msg) != nil {
		<-l.mb.slots
	}
}

// runActor is a session's actor: it handles messages until the session is
// quiet or ended (see the notes above).
func (m *Manager) runActor(l *live) {
	defer l.mb.actors.Done()
	for {
		batch, ok := l.mb.next(l.quiet)
		if !ok {
			return
		}
		for i, msg := range batch {
			if err := l.mb.endedErr(); err != nil {
				for _, rest := range batch[i:] {
					rest.drop(l, err)
				}
				break
			}
			msg.handle(m, l)
			m.publishView(l)
		}
	}
}

// next returns the queued messages, waiting for one while the session is
// not quiet; ok is false when the actor is to end (ended for good, or
// quiet with nothing queued).
func (mb *mailbox) next(quiet func() bool) ([]message, bool) {
	for {
		mb.mu.Lock()
		if len(mb.q) > 0 {
			b := mb.q
			mb.q = nil
			mb.mu.Unlock()
			return b, true
		}
		if mb.ended != nil || quiet() {
			mb.running = false
			mb.mu.Unlock()
			return nil, false
		}
		mb.mu.Unlock()
		<-mb.wake
	}
}

func (mb *mailbox) endedErr() error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.ended
}

// end ends the actor for good (on the actor's goroutine, as the last thing
// it does): what is queued is dropped with err, later posts fail with it.
func (mb *mailbox) end(l *live, err error) {
	mb.mu.Lock()
	if mb.ended != nil {
		mb.mu.Unlock()
		return
	}
	mb.ended = err
	close(mb.gone)
	q := mb.q
	mb.q = nil
	mb.mu.Unlock()
	for _, msg := range q {
		msg.drop(l, err)
	}
}

// running reports whether an actor goroutine exists for the session; when
// it does not, the session holds nothing live (no process, no turn).
func (mb *mailbox) active() bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.running
}

// quiet reports whether the session holds nothing live that will send its
// actor a message: no process, no turn, no pending request, no armed timer.
func (l *live) quiet() bool {
	return l.proc == nil && l.turn == "" && l.perms.len() == 0 && len(l.permStop) == 0 && l.idleStop == nil
}

// command is an API call run on the actor, replying on its own channel.
type command struct {
	run  func()
	fail func(error)
}

func (c command) handle(*Manager, *live)    { c.run() }
func (c command) drop(_ *live, err error)   { c.fail(err) }
func (agentEventMsg) drop(l *live, _ error) { <-l.mb.slots }
func (procEventMsg) drop(*live, error)      {}
func (permExpiryMsg) drop(*live, error)     {}
func (idleCheckMsg) drop(*live, error)      {}

type reply[T any] struct {
	v   T
	err error
}

// call runs fn on l's actor and returns its result; the actor having
// ended for good returns its error (ErrNotFound, ErrClosed). Never call it
// from an actor: it would wait for itself.
func call[T any](m *Manager, l *live, fn func() (T, error)) (T, error) {
	ch := make(chan reply[T], 1)
	err := m.post(l, command{
		run: func() {
			v, err := fn()
			// Publish before replying: a caller that reads the session
			// next sees what its command did.
			m.publishView(l)
			ch <- reply[T]{v, err}
		},
		fail: func(err error) { ch <- reply[T]{err: err} },
	})
	if err != nil {
		var zero T
		return zero, err
	}
	r := <-ch
	return r.v, r.err
}

// do is call for a function with no result but its error.
func do(m *Manager, l *live, fn func() error) error {
	_, err := call(m, l, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

// agentEventMsg is an event the tap decoded from the agent's output, with
// the time its line was read.
type agentEventMsg struct {
	ev event.Event
	at time.Time
}

func (e agentEventMsg) handle(m *Manager, l *live) {
	<-l.mb.slots
	m.onAgentEvent(l, e.ev, e.at)
}

// procEventMsg is a supervisor event of one of the session's processes.
type procEventMsg struct{ ev event.Event }

func (e procEventMsg) handle(m *Manager, l *live) { m.onProcessEvent(l, e.ev) }

// permExpiryMsg is the expiry timer of permission request rid firing; gen
// tells it from a later request that reuses the id.
type permExpiryMsg struct {
	rid string
	gen uint64
}

func (e permExpiryMsg) handle(m *Manager, l *live) { m.expire(l, e.rid, e.gen) }

// idleCheckMsg is the idle timer of turn run firing.
type idleCheckMsg struct{ run string }

func (e idleCheckMsg) handle(m *Manager, l *live) { m.checkTurnIdle(l, e.run) }
