package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/event"
)

// scriptedSource hands out subscriptions whose batches the test controls.
type scriptedSource struct {
	mu     sync.Mutex
	sinces []int64
	subs   chan *scriptedSub
	fail   int // Subscribe fails this many times first
}

type scriptedSub struct {
	c      chan []event.Event
	closed chan struct{}
	once   sync.Once
}

func (s *scriptedSub) Events() <-chan []event.Event { return s.c }
func (s *scriptedSub) Err() error                   { return nil }
func (s *scriptedSub) Close()                       { s.once.Do(func() { close(s.closed) }) }

func (s *scriptedSource) Subscribe(ctx context.Context, since int64, sessionID string) (api.Subscription, error) {
	s.mu.Lock()
	s.sinces = append(s.sinces, since)
	fail := s.fail > 0
	if fail {
		s.fail--
	}
	s.mu.Unlock()
	if fail {
		return nil, errors.New("source not ready")
	}
	sub := &scriptedSub{c: make(chan []event.Event), closed: make(chan struct{})}
	s.subs <- sub
	return sub, nil
}

func evAt(cursor int64) event.Event {
	return event.Event{Cursor: cursor, Seq: cursor, Kind: event.AssistantText, SessionID: "s"}
}

func TestBridgeForwardsInOrderAndResumes(t *testing.T) {
	src := &scriptedSource{subs: make(chan *scriptedSub), fail: 1}
	var mu sync.Mutex
	var emitted, observed []int64
	retries := make(chan chan time.Time, 4)
	b := &bridge{
		src:     src,
		emit:    func(ev event.Event) { mu.Lock(); emitted = append(emitted, ev.Cursor); mu.Unlock() },
		observe: func(ev event.Event) { mu.Lock(); observed = append(observed, ev.Cursor); mu.Unlock() },
		retry:   time.Hour, // never elapses on its own: the test fires it
		after: func(time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			retries <- c
			return c
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int64)
	go func() { done <- b.run(ctx, 10) }()

	// The first Subscribe fails; the bridge waits for its retry clock.
	(<-retries) <- time.Time{}
	sub := <-src.subs
	sub.c <- []event.Event{evAt(11), evAt(12)}
	sub.c <- []event.Event{evAt(13)}
	// The subscription ends (the bus cut a slow reader): the bridge
	// subscribes again from the last cursor it forwarded.
	close(sub.c)
	(<-retries) <- time.Time{}
	sub2 := <-src.subs
	// a source may repeat what was already forwarded; it is skipped
	sub2.c <- []event.Event{evAt(13), evAt(14)}
	cancel()
	last := <-done
	<-sub2.closed

	if last != 14 {
		t.Fatalf("last cursor %d", last)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []int64{11, 12, 13, 14}
	if !equal(emitted, want) || !equal(observed, want) {
		t.Fatalf("emitted %v observed %v", emitted, observed)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if !equal(src.sinces, []int64{10, 10, 13}) {
		t.Fatalf("subscribed from %v", src.sinces)
	}
}

func equal(a, b []int64) bool {
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
