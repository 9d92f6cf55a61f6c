package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// Headers of an event message beside Nats-Msg-Id.
const (
	// HeaderPrev is the seq of the event published before this one in the
	// same session (decimal; "0" for none).
	HeaderPrev = "Corral-Prev"
	// HeaderSession is the runner's record of the session (store.Session
	// JSON), on the messages that change it.
	HeaderSession = "Corral-Session"
)

// PublisherOptions configure a Publisher. Name, Store and Conn are required.
type PublisherOptions struct {
	Name  string       // the runner's name: NAME in corral.events.NAME.SID
	Store *store.Store // the runner's store: the events and the watermarks
	Conn  *nats.Conn   // the runner's connection to the hub
	// Bus, when set, wakes the Publisher as soon as the store commits;
	// without it the store is polled every Poll.
	Bus *bus.Bus
	// Window is how many publishes may wait for their ack (default 2048);
	// with Page (events read from the store per query, default 512) it
	// bounds the Publisher's memory, connected or not.
	Window, Page int
	// AckTimeout fails a publish whose ack did not come (default 5 s);
	// the Publisher then rewinds to its watermark.
	AckTimeout time.Duration
	Poll       time.Duration // default 250 ms
	MarkEvery  time.Duration // how often watermarks are written; default 200 ms
	// Logf, when set, hears of publish failures and rewinds.
	Logf func(format string, args ...any)
}

func (o *PublisherOptions) fill() {
	if o.Window <= 0 {
		o.Window = 2048
	}
	if o.Page <= 0 {
		o.Page = 512
	}
	o.Page = min(o.Page, o.Window)
	if o.AckTimeout <= 0 {
		o.AckTimeout = 5 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.MarkEvery <= 0 {
		o.MarkEvery = 200 * time.Millisecond
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// PublisherStats counts what a Publisher did since it started.
type PublisherStats struct {
	Published int64 // messages handed to NATS (republished ones included)
	Acked     int64 // events acknowledged by JetStream
	Rewinds   int64 // times it went back to its watermark after a failure
	Cursor    int64 // the acknowledged watermark (runner store cursor)
	Start     int64 // the durable watermark it started from
	Cut       int64 // events larger than a NATS message, published cut (fitEvent)
}

// Publisher follows a runner's store and publishes every committed event
// of every session (not the system stream) to CORRAL_EVENTS, in commit
// order, keeping a durable watermark of what JetStream acknowledged. See
// the package doc for its guarantees.
type Publisher struct {
	o      PublisherOptions
	js     jetstream.JetStream
	cancel context.CancelFunc
	done   chan struct{}
	wake   <-chan struct{} // the bus's doorbell: a commit (without a bus: never)
	unring func()

	// Owned by the run goroutine.
	acked      store.ReplicaMarks // the acknowledged prefix
	dirty      map[string]int64   // marks raised since the last write
	markDirty  bool
	lastMark   time.Time
	lastPub    map[string]int64 // per session: seq of the last event published in this pass
	recordSent map[string]bool
	inflight   []pending

	start                                   int64
	published, ackedN, rewinds, cursor, cut atomic.Int64
	closeErr                                error
	closeOnce                               sync.Once
}

// pending is an event published and not yet acknowledged, or a system
// event skipped (fut nil), kept in cursor order.
type pending struct {
	cursor  int64
	session string
	seq     int64
	fut     jetstream.PubAckFuture
}

// errDisconnected ends a publishing pass when NATS is unreachable.
var errDisconnected = errors.New("relay: not connected to NATS")

// StartPublisher reads the watermarks from the store and starts publishing.
func StartPublisher(o PublisherOptions) (*Publisher, error) {
	if o.Name == "" || o.Store == nil || o.Conn == nil {
		return nil, errors.New("relay: StartPublisher needs Name, Store and Conn")
	}
	if err := CheckName(o.Name); err != nil {
		return nil, err
	}
	o.fill()
	js, err := jetstream.New(o.Conn, jetstream.WithPublishAsyncMaxPending(o.Window),
		jetstream.WithPublishAsyncTimeout(o.AckTimeout))
	if err != nil {
		return nil, err
	}
	marks, err := o.Store.ReplicaMarks()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{o: o, js: js, cancel: cancel, done: make(chan struct{}), wake: never, unring: func() {},
		acked: marks, dirty: map[string]int64{}, start: marks.Cursor}
	p.cursor.Store(marks.Cursor)
	if o.Bus != nil {
		// A doorbell, not a subscription: the Publisher reads the events
		// from the store, so a subscription would only queue copies of
		// them, and a subscriber that keeps busy is sent its batches (its
		// wake-ups) up to the bus's MaxDelay late.
		p.wake, p.unring = o.Bus.Doorbell()
	}
	go p.run(ctx)
	return p, nil
}

// Stats returns the Publisher's counters.
func (p *Publisher) Stats() PublisherStats {
	return PublisherStats{Published: p.published.Load(), Acked: p.ackedN.Load(),
		Rewinds: p.rewinds.Load(), Cursor: p.cursor.Load(), Start: p.start, Cut: p.cut.Load()}
}

// Close stops publishing and writes the watermarks. Events committed but
// not acknowledged are published by the next Publisher on this store.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		<-p.done
	})
	return p.closeErr
}

func (p *Publisher) run(ctx context.Context) {
	defer close(p.done)
	defer p.unring()
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		err := p.pass(ctx)
		p.js.CleanupPublisher() // fails what still waits for an ack
		p.inflight = p.inflight[:0]
		if ctx.Err() != nil {
			break
		}
		p.rewinds.Add(1)
		p.o.Logf("relay: publisher %s: %v; resuming from cursor %d", p.o.Name, err, p.acked.Cursor)
		p.writeMarks(context.Background())
		if time.Since(start) > 5*time.Second {
			backoff = 50 * time.Millisecond
		}
		p.waitConnected(ctx, backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
	p.closeErr = p.writeMarks(context.Background())
}

// waitConnected sleeps for backoff, then until the connection is up.
func (p *Publisher) waitConnected(ctx context.Context, backoff time.Duration) {
	t := time.NewTimer(backoff)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p.o.Conn.IsConnected() {
			return
		}
		t.Reset(100 * time.Millisecond)
	}
}

// pass publishes from the acknowledged watermark until a failure or ctx
// ends. It returns why it stopped.
func (p *Publisher) pass(ctx context.Context) error {
	pos := p.acked.Cursor
	p.lastPub = make(map[string]int64, len(p.acked.Seqs))
	for k, v := range p.acked.Seqs {
		p.lastPub[k] = v
	}
	p.recordSent = map[string]bool{}
	// A reconnect may have lost what was in flight while later publishes
	// get through: stop at once and rewind rather than store out of order.
	reconnects := p.o.Conn.Stats().Reconnects
	tick := time.NewTicker(p.o.Poll)
	defer tick.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !p.o.Conn.IsConnected() || p.o.Conn.Stats().Reconnects != reconnects {
			return errDisconnected
		}
		// Read a whole page at a time: with less room than that, wait
		// for acks first (one query per event would be the result).
		var until <-chan struct{} // nil: take what is acknowledged
		if p.o.Window-len(p.inflight) < p.o.Page {
			until = never // only an ack frees the window
		}
		if err := p.reap(ctx, until); err != nil {
			return err
		}
		p.maybeWriteMarks(ctx)
		if p.o.Window-len(p.inflight) < p.o.Page {
			continue
		}
		evs, err := p.o.Store.EventsAfter(ctx, pos, "", true, p.o.Page)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			if len(p.inflight) > 0 {
				// Wait for the head's ack or for a commit, whichever
				// comes first: an event committed meanwhile is
				// published at once, not one ack round trip later.
				if err := p.reap(ctx, p.wake); err != nil {
					return err
				}
				continue
			}
			p.maybeWriteMarks(ctx)
			select {
			case <-ctx.Done():
			case <-p.wake:
			case <-tick.C:
			}
			continue
		}
		for i := range evs {
			if err := p.publish(&evs[i]); err != nil {
				return err
			}
			pos = evs[i].Cursor
		}
	}
}

// recordKinds are the event kinds that change a session's record; their
// messages carry it.
var recordKinds = map[string]bool{
	event.SessionStatus: true, event.SessionUpdated: true, event.SessionOptions: true,
	event.Usage: true, event.RunStarted: true, event.RunExited: true, event.TurnCompleted: true,
	event.AgentInit: true,
}

// publish hands one event to NATS and queues it for its ack.
func (p *Publisher) publish(ev *event.Event) error {
	pd := pending{cursor: ev.Cursor, session: ev.SessionID, seq: ev.Seq}
	if ev.SessionID == "" || CheckToken(ev.SessionID) != nil {
		p.inflight = append(p.inflight, pd) // system stream: not replicated
		return nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(EventSubject(p.o.Name, ev.SessionID))
	msg.Header.Set(HeaderPrev, strconv.FormatInt(p.lastPub[ev.SessionID], 10))
	if !p.recordSent[ev.SessionID] || recordKinds[ev.Kind] {
		if rec, err := p.o.Store.GetSession(ev.SessionID); err == nil {
			if b, err := json.Marshal(rec); err == nil {
				msg.Header.Set(HeaderSession, string(b))
				p.recordSent[ev.SessionID] = true
			}
		}
	}
	// An event larger than a message may be would fail every publish
	// (and stall the session's relay): it is cut to fit (fitEvent).
	if budget := int(p.o.Conn.MaxPayload()) - headerSize(msg.Header) - msgSlack; len(body) > budget {
		size := len(body)
		body = fitEvent(*ev, budget)
		p.cut.Add(1)
		p.o.Logf("relay: publisher %s: event %s seq %d (%d bytes) is larger than a NATS message; publishing it in %d bytes", p.o.Name, ev.SessionID, ev.Seq, size, len(body))
	}
	msg.Data = body
	fut, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(MsgID(p.o.Name, ev.SessionID, ev.Seq)))
	if err != nil {
		return fmt.Errorf("publish %s seq %d: %w", ev.SessionID, ev.Seq, err)
	}
	p.published.Add(1)
	pd.fut = fut
	p.lastPub[ev.SessionID] = ev.Seq
	p.inflight = append(p.inflight, pd)
	return nil
}

// reap moves acknowledged events from the head of the in-flight queue to
// the watermark, in order. With until non-nil it waits for at least the
// head, or until until delivers (then it returns nil, having moved what
// was acknowledged); with until nil it only takes what is acknowledged.
func (p *Publisher) reap(ctx context.Context, until <-chan struct{}) error {
	n := 0
	defer func() {
		if n > 0 {
			rest := copy(p.inflight, p.inflight[n:])
			clear(p.inflight[rest:])
			p.inflight = p.inflight[:rest]
		}
	}()
	for n < len(p.inflight) {
		h := &p.inflight[n]
		if h.fut != nil {
			var wait <-chan struct{}
			if n == 0 {
				wait = until
			}
			if err := p.headAck(ctx, h, wait); err != nil {
				if errors.Is(err, errNotYet) {
					return nil
				}
				return err
			}
			p.ackedN.Add(1)
			if h.seq > p.acked.Seqs[h.session] {
				p.acked.Seqs[h.session] = h.seq
				p.dirty[h.session] = h.seq
			}
		}
		p.acked.Cursor = h.cursor
		p.markDirty = true
		p.cursor.Store(h.cursor)
		n++
	}
	return nil
}

var errNotYet = errors.New("not yet acknowledged")

// never is a channel nothing is sent on: reap's until for "the head's ack".
var never = make(<-chan struct{})

// headAck waits, until wait delivers (errNotYet), for one publish's
// outcome; with wait nil it only looks.
func (p *Publisher) headAck(ctx context.Context, h *pending, wait <-chan struct{}) error {
	if wait == nil {
		select {
		case <-h.fut.Ok():
			return nil
		case err := <-h.fut.Err():
			return err
		default:
			return errNotYet
		}
	}
	// The ack timeout fails the future; the timer here only guards
	// against a future that would never resolve.
	t := time.NewTimer(2*p.o.AckTimeout + time.Second)
	defer t.Stop()
	select {
	case <-h.fut.Ok():
		return nil
	case err := <-h.fut.Err():
		return err
	case <-t.C:
		return jetstream.ErrAsyncPublishTimeout
	case <-wait:
		return errNotYet
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Publisher) maybeWriteMarks(ctx context.Context) {
	if p.markDirty && time.Since(p.lastMark) >= p.o.MarkEvery {
		if err := p.writeMarks(ctx); err != nil {
			p.o.Logf("relay: publisher %s: writing watermarks: %v", p.o.Name, err)
		}
	}
}

// writeMarks makes the acknowledged watermark durable.
func (p *Publisher) writeMarks(ctx context.Context) error {
	if !p.markDirty {
		return nil
	}
	if err := p.o.Store.SetReplicaMarks(ctx, p.acked.Cursor, p.dirty); err != nil {
		return err
	}
	p.dirty = map[string]int64{}
	p.markDirty = false
	p.lastMark = time.Now()
	return nil
}

// msgSlack is room left in a message beside the event and its headers
// (the header block's framing, Nats-Msg-Id).
const msgSlack = 1024

// headerSize is the encoded size of a message's headers.
func headerSize(h nats.Header) int {
	n := len("NATS/1.0\r\n\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
