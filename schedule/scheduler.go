package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// Store is what the scheduler keeps durable (*store.Store implements it).
// Each write appends its events in the same transaction and waits for the
// commit.
type Store interface {
	PutSessionLimit(ctx context.Context, l store.SessionLimit, evs ...event.Event) error
	DeleteSessionLimit(ctx context.Context, sessionID string, evs ...event.Event) error
	SessionLimits(ctx context.Context) ([]store.SessionLimit, error)
	PutSchedule(ctx context.Context, sc store.Schedule, evs ...event.Event) error
	DeleteSchedule(ctx context.Context, id string, evs ...event.Event) error
	Schedules(ctx context.Context) ([]store.Schedule, error)
}

// Sessions is what the scheduler needs of the session manager.
type Sessions interface {
	Create(ctx context.Context, opts session.CreateOptions) (session.Info, error)
	Send(ctx context.Context, sessionID, text string) (runID string, err error)
	Get(ctx context.Context, sessionID string) (session.Info, error)
}

// Subscriber is the event bus (*bus.Bus).
type Subscriber interface {
	Subscribe(ctx context.Context, since int64, f bus.Filter) (*bus.Subscription, error)
}

// Options configure a Scheduler. Store, Bus and Sessions are required.
type Options struct {
	Store    Store
	Bus      Subscriber
	Sessions Sessions
	// Clock is the time source and timers (nil: the real clock).
	Clock Clock
	// AutoResume is the configuration's [sessions] auto_resume_on_limit,
	// read at each limit so a reload applies (nil: false).
	AutoResume func() bool
	// Location reads wall-clock reset times without a zone ("resets
	// 3pm"; nil: time.Local).
	Location *time.Location
	Logger   *slog.Logger
}

// Errors of the scheduler's calls, wrapped with details.
var (
	ErrNotFound = errors.New("schedule: not found")
	ErrConflict = errors.New("schedule: conflicts with the current state")
	ErrClosed   = errors.New("schedule: scheduler is closed")
)

// Scheduler owns the rate-limit resume timers and the schedules. One
// goroutine (run) owns all of its state: API calls, bus events, timer
// fires and the outcomes of the turns it started are messages to it.
// The turns themselves (Send, Create) run on goroutines of their own, so
// a slow launch never holds the loop; Close cancels and waits for them.
type Scheduler struct {
	o     Options
	log   *slog.Logger
	cmds  chan func()
	quit  chan struct{}
	done  chan struct{}
	ctx   context.Context // cancelled by Close; bounds the turns started
	stop  context.CancelFunc
	wg    sync.WaitGroup // the turns started
	start time.Time      // when the scheduler started: earlier due runs were missed

	// Owned by run.
	sub       *bus.Subscription
	events    <-chan []event.Event // sub.C; nil once the bus ended
	limits    map[string]*store.SessionLimit
	turns     map[string]*turnTrack
	schedules map[string]*store.Schedule
	running   map[string]bool // schedules and resumes in flight, by id
	snap      snapshot
}

// Start loads the durable state, subscribes to the bus and starts the
// loop. Resume timers and schedule runs that fell due while corral was
// down fire at once (a missed schedule runs or is skipped, as its policy
// says); later ones are armed.
func Start(ctx context.Context, o Options) (*Scheduler, error) {
	if o.Store == nil || o.Bus == nil || o.Sessions == nil {
		return nil, errors.New("schedule: Store, Bus and Sessions are required")
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.AutoResume == nil {
		o.AutoResume = func() bool { return false }
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	s := &Scheduler{o: o, log: o.Logger, cmds: make(chan func()), quit: make(chan struct{}), done: make(chan struct{}),
		limits: map[string]*store.SessionLimit{}, turns: map[string]*turnTrack{}, schedules: map[string]*store.Schedule{},
		running: map[string]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	ls, err := o.Store.SessionLimits(ctx)
	if err != nil {
		s.stop()
		return nil, err
	}
	for i := range ls {
		s.limits[ls[i].SessionID] = &ls[i]
	}
	scs, err := o.Store.Schedules(ctx)
	if err != nil {
		s.stop()
		return nil, err
	}
	for i := range scs {
		s.schedules[scs[i].ID] = &scs[i]
	}
	if s.sub, err = o.Bus.Subscribe(s.ctx, -1, bus.Filter{}); err != nil {
		s.stop()
		return nil, err
	}
	s.events = s.sub.C
	s.start = o.Clock.Now()
	s.publish()
	go s.run()
	return s, nil
}

// Close stops the loop and waits for it and for the turns it started.
func (s *Scheduler) Close() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
	s.stop()
	s.wg.Wait()
	s.sub.Close()
}

func (s *Scheduler) run() {
	defer close(s.done)
	for {
		var fire <-chan time.Time
		var t Timer
		if at, ok := s.nextDeadline(); ok {
			t = s.o.Clock.NewTimer(at.Sub(s.o.Clock.Now()))
			fire = t.C()
		}
		select {
		case <-s.quit:
			stopTimer(t)
			return
		case batch, ok := <-s.events:
			if !ok {
				s.resubscribe()
			}
			for _, ev := range batch {
				s.onEvent(ev)
			}
		case cmd := <-s.cmds:
			cmd()
		case <-fire:
			s.fire(s.o.Clock.Now())
		}
		stopTimer(t)
	}
}

func stopTimer(t Timer) {
	if t != nil {
		t.Stop()
	}
}

// resubscribe follows the bus again after a subscription that fell
// behind, from where it stopped; when the bus closed, it waits for Close.
func (s *Scheduler) resubscribe() {
	var dropped *bus.Dropped
	if errors.As(s.sub.Err(), &dropped) {
		if sub, err := s.o.Bus.Subscribe(s.ctx, dropped.Cursor, bus.Filter{}); err == nil {
			s.sub, s.events = sub, sub.C
			return
		}
	}
	s.log.Warn("scheduler: the event bus ended; rate limits are no longer followed", "err", s.sub.Err())
	s.events = nil // never ready
}

// do runs fn on the loop and returns its result.
func do[T any](s *Scheduler, fn func() (T, error)) (T, error) {
	type res struct {
		v   T
		err error
	}
	reply := make(chan res, 1)
	select {
	case s.cmds <- func() { v, err := fn(); reply <- res{v, err} }:
	case <-s.done:
		var zero T
		return zero, ErrClosed
	}
	r := <-reply
	return r.v, r.err
}

// post hands the outcome of a turn the scheduler started back to the loop.
func (s *Scheduler) post(fn func()) {
	select {
	case s.cmds <- fn:
	case <-s.done:
	}
}

// nextDeadline is the earliest armed resume or due schedule.
func (s *Scheduler) nextDeadline() (time.Time, bool) {
	var at time.Time
	take := func(t time.Time) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	for id, l := range s.limits {
		if l.Armed && !s.running[id] {
			take(l.ResetAt)
		}
	}
	for id, sc := range s.schedules {
		if !sc.Paused && !s.running[id] {
			take(sc.NextRunAt)
		}
	}
	return at, !at.IsZero()
}

// fire starts what is due at now.
func (s *Scheduler) fire(now time.Time) {
	for id, l := range s.limits {
		if l.Armed && !s.running[id] && !l.ResetAt.After(now) {
			s.resume(id, "timer")
		}
	}
	for id, sc := range s.schedules {
		if !sc.Paused && !s.running[id] {
			s.due(sc, now)
		}
	}
}

// write runs a store write from the loop, logging a failure.
func (s *Scheduler) write(what string, err error) {
	if err != nil {
		s.log.Warn("scheduler: cannot "+what, "err", err)
	}
}

// sysEvent is an event of the system stream.
func (s *Scheduler) sysEvent(kind string, data any) event.Event {
	ev := event.New(kind, data)
	ev.Time = s.o.Clock.Now()
	return ev
}

// sessionEvent is an event of a session's stream.
func (s *Scheduler) sessionEvent(id, kind string, data any) event.Event {
	ev := s.sysEvent(kind, data)
	ev.SessionID = id
	return ev
}

func newID(prefix string) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("schedule: no randomness: %v", err))
	}
	return prefix + hex.EncodeToString(b)
}

// StartRuntime starts the scheduler of a corral runtime: its store, bus
// and sessions, auto_resume_on_limit from the configuration in effect
// (reloads apply). The runtime's Close closes the scheduler first.
func StartRuntime(ctx context.Context, rt *session.Runtime, log *slog.Logger) (*Scheduler, error) {
	s, err := Start(ctx, Options{Store: rt.Store, Bus: rt.Bus, Sessions: rt.Manager, Logger: log,
		AutoResume: func() bool { return rt.Config().Sessions.AutoResumeOnLimit }})
	if err != nil {
		return nil, err
	}
	rt.BeforeClose(s.Close)
	return s, nil
}
