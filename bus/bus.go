// Package bus fans committed events out to subscribers (SSE streams, Wails
// event emitters, tests).
//
// The store calls Publish with each batch right after its commit, from its
// single writer goroutine, so batches arrive in cursor order. Publish never
// blocks: it appends the matching events to each subscriber's bounded queue.
// A per-subscriber goroutine delivers the queue on the subscriber's channel
// with adaptive batching: an event is delivered at once while the subscriber
// is idle, that is, while fewer than Burst (4) deliveries happened in the
// last MaxDelay; under load events are coalesced for at most MaxDelay
// (16 ms) or MaxBatch (256) events, whichever comes first. A subscriber whose queue
// passes QueueLimit events or QueueBytes bytes is cut off: its channel is
// closed and Err returns a *Dropped holding the cursor of the last event it
// received, from which it can resubscribe without a gap. It never slows the
// producer or other subscribers, and a subscriber that stops reading holds
// at most about QueueBytes of events in memory.
//
// Subscribe(since) replays from the store every event with Cursor > since,
// then switches to live delivery with no gap and no duplicate: the live
// registration happens first and buffers; the replay reads the store until
// it has caught up with everything committed (which includes everything
// published before the registration); buffered live events at or below the
// last replayed cursor are then discarded and the rest delivered.
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/event"
)

// Source is where replays come from; *store.Store implements it.
// EventsAfter returns up to limit events with Cursor > cursor in cursor
// order, of every stream when all is true, else of the one session
// sessionID ("" is the system stream).
type Source interface {
	EventsAfter(ctx context.Context, cursor int64, sessionID string, all bool, limit int) ([]event.Event, error)
}

// Options tune a Bus. The zero value gives the documented defaults.
type Options struct {
	QueueLimit int // events buffered per subscriber before it is cut off; default 8192
	// QueueBytes bounds the same queue in bytes (Data and Raw plus
	// EventOverhead per event, the batch being delivered included); default
	// 64 MiB. A subscriber that holds nothing is never cut off by the
	// batch it is offered, so one event larger than the bound still gets
	// through to a reader that keeps up.
	QueueBytes int64
	MaxBatch   int           // most events per delivered batch; default 256
	MaxDelay   time.Duration // longest an event waits to be coalesced under load; default 16 ms
	// Burst is how many deliveries within MaxDelay still count as idle, so
	// that a few events in quick succession (a turn's first lines) are
	// not held back; default 4.
	Burst      int
	ReplayPage int // events read from the store per replay query; default 500
}

func (o *Options) fill() {
	if o.QueueLimit <= 0 {
		o.QueueLimit = 8192
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 64 << 20
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 16 * time.Millisecond
	}
	if o.Burst <= 0 {
		o.Burst = 4
	}
	if o.ReplayPage <= 0 {
		o.ReplayPage = 500
	}
}

// Filter selects the events of a subscription. The zero Filter selects
// every event of every session and of the system stream.
type Filter struct {
	SessionID string // only this session's events
	System    bool   // only the system stream (events with no session); SessionID must be ""
}

func (f Filter) match(ev *event.Event) bool {
	if f.SessionID != "" {
		return ev.SessionID == f.SessionID
	}
	if f.System {
		return ev.SessionID == ""
	}
	return true
}

// ErrClosed is the Err of subscriptions ended by Bus.Close, and the error
// of Subscribe on a closed bus.
var ErrClosed = errors.New("bus: closed")

// Dropped is the Err of a subscription cut off because it fell behind.
// Cursor is the cursor of the last event it received (its `since` to
// resubscribe with, or 0 if it received none beyond its own since).
type Dropped struct {
	Cursor  int64
	Pending int   // events that were waiting when it was cut off
	Bytes   int64 // their size, as QueueBytes counts it (the batch in delivery included)
}

func (d *Dropped) Error() string {
	return fmt.Sprintf("bus: subscriber fell behind by more than its queue (%d events, %d bytes pending) and was cut off; resume from cursor %d", d.Pending, d.Bytes, d.Cursor)
}

// Event returns a bus.dropped event carrying the resume cursor, for a
// transport to send to its client before closing the stream.
func (d *Dropped) Event() event.Event {
	data, _ := json.Marshal(map[string]int64{"cursor": d.Cursor})
	return event.Event{Time: time.Now(), Kind: event.SubscriberDropped, Cursor: d.Cursor, Data: data}
}

// Bus is the fan-out. All methods are safe for concurrent use.
type Bus struct {
	src  Source
	opts Options

	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	bells  map[chan struct{}]struct{}
	closed bool
}

// New returns a bus replaying from src (which may be nil if every
// subscription uses since < 0).
func New(src Source, opts Options) *Bus {
	opts.fill()
	return &Bus{src: src, opts: opts, subs: map[*Subscription]struct{}{}}
}

// Publish offers a committed batch to every subscriber. It never blocks on
// a subscriber. Batches must be published in cursor order by one goroutine
// (the store's writer); the bus keeps references to the events, so their
// Data and Raw must not be modified afterwards.
func (b *Bus) Publish(batch []event.Event) {
	if len(batch) == 0 {
		return
	}
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.offer(batch, now)
	}
	for c := range b.bells {
		select {
		case c <- struct{}{}:
		default: // already rung: one ring stands for any number of batches
		}
	}
}

// Doorbell returns a channel that receives a value (it holds at most one)
// whenever a batch is published after the call, and a function that
// unregisters it. Unlike a Subscription it carries no events and is never
// held back by batching: it is for a reader that fetches what is new from
// the store itself as soon as there is something (the fleet's publisher).
// The channel is never closed.
func (b *Bus) Doorbell() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	b.mu.Lock()
	if b.bells == nil {
		b.bells = map[chan struct{}]struct{}{}
	}
	b.bells[c] = struct{}{}
	b.mu.Unlock()
	return c, func() {
		b.mu.Lock()
		delete(b.bells, c)
		b.mu.Unlock()
	}
}

// Close ends every subscription (their Err becomes ErrClosed), waits for
// their goroutines, and makes later Subscribe calls fail.
func (b *Bus) Close() {
	b.mu.Lock()
	b.closed = true
	subs := make([]*Subscription, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.stop(ErrClosed)
		<-s.done
	}
}

// Subscription is one subscriber. Receive batches from C until it is
// closed, then read Err. Every event arrives exactly once, in cursor order.
type Subscription struct {
	// C delivers batches of events. It is unbuffered, so an event counts as
	// delivered only once the subscriber has taken it. It is closed when the
	// subscription ends.
	C <-chan []event.Event

	c      chan []event.Event
	b      *Bus
	f      Filter
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}
	kill   chan struct{}

	mu        sync.Mutex
	q         []event.Event
	qBytes    int64     // size of q (see EventSize)
	flight    int64     // size of the batch being delivered
	qSince    time.Time // when the oldest queued event arrived
	replaying bool
	overflows int // live-queue overflows during replay (the store has those events)
	err       error
	lastSent  atomic.Int64
	killed    bool
}

// Subscribe registers a subscriber for the events selected by f. With
// since >= 0 it first receives every stored event with Cursor > since (a
// client's last seen cursor, or 0 for everything), then live events; with
// since < 0 it receives only events published from now on. The
// subscription ends when ctx is done, when Close is called, when the bus
// closes, or when it falls behind (Err is *Dropped).
func (b *Bus) Subscribe(ctx context.Context, since int64, f Filter) (*Subscription, error) {
	if f.System && f.SessionID != "" {
		return nil, errors.New("bus: Filter.System with a SessionID")
	}
	if since >= 0 && b.src == nil {
		return nil, errors.New("bus: replay requested but the bus has no Source")
	}
	sctx, cancel := context.WithCancel(ctx)
	c := make(chan []event.Event)
	s := &Subscription{
		C: c, c: c, b: b, f: f, ctx: sctx, cancel: cancel,
		done:      make(chan struct{}),
		wake:      make(chan struct{}, 1),
		kill:      make(chan struct{}),
		replaying: since >= 0,
	}
	s.lastSent.Store(max(since, 0))
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		cancel()
		return nil, ErrClosed
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.run(since)
	return s, nil
}

// Close ends the subscription and waits for its goroutine. Err is then
// context.Canceled unless the subscription had already ended otherwise.
func (s *Subscription) Close() {
	s.stop(context.Canceled)
	<-s.done
}

// Err tells why C was closed: *Dropped, ErrClosed, the context's error, or
// a replay read error. It is nil while the subscription runs.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// LastCursor is the cursor of the last event delivered (or the since it
// started from).
func (s *Subscription) LastCursor() int64 { return s.lastSent.Load() }

// stop ends the subscription with err unless it already ended.
func (s *Subscription) stop(err error) {
	s.mu.Lock()
	s.stopLocked(err)
	s.mu.Unlock()
}

func (s *Subscription) stopLocked(err error) {
	if s.killed {
		return
	}
	s.killed = true
	s.err = err
	s.q, s.qBytes = nil, 0
	close(s.kill)
	s.cancel()
}

// offer is called by Publish with the bus lock held.
func (s *Subscription) offer(batch []event.Event, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.killed {
		return
	}
	n := len(s.q)
	held := s.qBytes + s.flight
	for i := range batch {
		if s.f.match(&batch[i]) {
			s.q = append(s.q, batch[i])
			s.qBytes += EventSize(&batch[i])
		}
	}
	if len(s.q) == n {
		return
	}
	if n == 0 {
		s.qSince = now
	}
	if overflow(len(s.q), s.qBytes+s.flight, held, &s.b.opts) {
		if s.replaying {
			// Everything published is already committed, so the replay
			// will read these from the store; forget them and tell the
			// replay loop to read once more.
			clear(s.q)
			s.q, s.qBytes = s.q[:0], 0
			s.overflows++
		} else {
			s.stopLocked(&Dropped{Cursor: s.lastSent.Load(), Pending: len(s.q), Bytes: s.qBytes + s.flight})
			return
		}
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) run(since int64) {
	defer close(s.done)
	defer close(s.c)
	defer func() {
		s.b.mu.Lock()
		delete(s.b.subs, s)
		s.b.mu.Unlock()
		s.stop(s.ctx.Err()) // ends with the context's error unless already ended
		// The cut-off was decided while a batch may have been on its way to
		// the reader; only now, with no send left, is the last delivered
		// cursor final, and that is where a resume must start.
		s.mu.Lock()
		if d, ok := s.err.(*Dropped); ok {
			d.Cursor = s.lastSent.Load()
		}
		s.mu.Unlock()
	}()
	if since >= 0 && !s.replay(since) {
		return
	}
	s.live()
}

// send delivers one batch; false means the subscription ended meanwhile.
func (s *Subscription) send(batch []event.Event) bool {
	select {
	case s.c <- batch:
		s.lastSent.Store(batch[len(batch)-1].Cursor)
		return true
	case <-s.kill:
		return false
	case <-s.ctx.Done():
		return false
	}
}

// replay reads the store from since until it has caught up, then hands over
// to the live queue.
func (s *Subscription) replay(since int64) bool {
	o := &s.b.opts
	last := since
	all := s.f.SessionID == "" && !s.f.System
	for {
		s.mu.Lock()
		gen := s.overflows
		s.mu.Unlock()
		page, err := s.b.src.EventsAfter(s.ctx, last, s.f.SessionID, all, o.ReplayPage)
		if err != nil {
			if s.ctx.Err() == nil {
				s.stop(fmt.Errorf("bus: replay: %w", err))
			}
			return false
		}
		short := len(page) < o.ReplayPage
		for len(page) > 0 {
			n := min(len(page), o.MaxBatch)
			if !s.send(page[:n:n]) {
				return false
			}
			last = page[n-1].Cursor
			page = page[n:]
		}
		if !short {
			continue
		}
		// A short page means this read saw every event committed before
		// it began, hence every event published before the registration.
		// If the live queue overflowed since that read began, events it
		// dropped may be newer than the read: read again.
		s.mu.Lock()
		if s.killed {
			s.mu.Unlock()
			return false
		}
		if s.overflows != gen {
			s.mu.Unlock()
			continue
		}
		s.replaying = false
		i := 0
		for i < len(s.q) && s.q[i].Cursor <= last {
			s.qBytes -= EventSize(&s.q[i])
			i++
		}
		s.q = append(s.q[:0], s.q[i:]...)
		s.mu.Unlock()
		return true
	}
}

// EventOverhead is what QueueBytes counts for an event besides its Data
// and Raw: the struct and its short strings.
const EventOverhead = 128

// EventSize is the size of an event as QueueBytes counts it.
func EventSize(ev *event.Event) int64 {
	return int64(len(ev.Data)+len(ev.Raw)) + EventOverhead
}

// overflow decides whether a subscriber's queue is past its bounds, now
// that it holds events, bytes (queued and in delivery) and held bytes
// before the batch just offered. A subscriber that held nothing is not
// cut off for its bytes: the one batch it was offered is the least it
// must be able to take. A pure function.
func overflow(events int, bytes, held int64, o *Options) bool {
	if events > o.QueueLimit {
		return true
	}
	return held > 0 && bytes > o.QueueBytes
}

// plan is the batching policy, a pure function so that it can be tested
// without clocks. pending events are queued, the oldest for age; gap is
// the time between the Burst-th last delivery and that oldest arrival (at
// least MaxDelay when there were fewer deliveries).
// It returns whether to deliver now, or else how long to wait at most.
func plan(pending int, age, gap time.Duration, o *Options) (bool, time.Duration) {
	switch {
	case pending == 0:
		return false, 0
	case pending >= o.MaxBatch:
		return true, 0 // a full batch: no reason to wait
	case gap >= o.MaxDelay:
		return true, 0 // the bus was idle: latency first
	case age >= o.MaxDelay:
		return true, 0 // waited long enough
	}
	return false, o.MaxDelay - age
}

func (s *Subscription) live() {
	o := &s.b.opts
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	// The ends of the last Burst deliveries, a ring; recent[ri] is the
	// oldest of them (zero: fewer deliveries so far).
	recent := make([]time.Time, o.Burst)
	ri := 0
	for {
		s.mu.Lock()
		s.flight = 0 // the last batch was taken (or none was sent)
		if s.killed {
			s.mu.Unlock()
			return
		}
		now := time.Now()
		gap := o.MaxDelay
		if !recent[ri].IsZero() {
			gap = s.qSince.Sub(recent[ri])
		}
		deliver, wait := plan(len(s.q), now.Sub(s.qSince), gap, o)
		var batch []event.Event
		if deliver {
			n := min(len(s.q), o.MaxBatch)
			// Hand out the front of the queue without copying: later
			// appends write only past it, and once the capacity is used
			// up append moves to a fresh array.
			batch = s.q[:n:n]
			s.q = s.q[n:]
			for i := range batch {
				s.flight += EventSize(&batch[i])
			}
			s.qBytes -= s.flight
			s.qSince = now // the rest waited at most this long for their turn
		}
		s.mu.Unlock()

		if deliver {
			if !s.send(batch) {
				return
			}
			recent[ri] = time.Now()
			ri = (ri + 1) % len(recent)
			continue
		}
		var tc <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			tc = timer.C
		}
		select {
		case <-s.wake:
		case <-tc:
		case <-s.kill:
			return
		case <-s.ctx.Done():
			return
		}
	}
}
