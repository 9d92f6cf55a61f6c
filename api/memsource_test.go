package api

import (
	"context"
	"sync"

	"github.com/corral-dev/corral/event"
)

// memSource is an in-memory EventSource for transport tests: a slice of
// committed events and a broadcast of "something new".
type memSource struct {
	mu     sync.Mutex
	evs    []event.Event
	cursor int64
	seq    map[string]int64
	notify chan struct{} // closed and replaced on every add
}

func newMemSource() *memSource {
	return &memSource{seq: map[string]int64{}, notify: make(chan struct{})}
}

func (m *memSource) add(sessionID, kind string) event.Event {
	m.mu.Lock()
	m.cursor++
	m.seq[sessionID]++
	ev := event.New(kind, map[string]any{"n": m.cursor})
	ev.SessionID, ev.Cursor, ev.Seq = sessionID, m.cursor, m.seq[sessionID]
	m.evs = append(m.evs, ev)
	close(m.notify)
	m.notify = make(chan struct{})
	m.mu.Unlock()
	return ev
}

func (m *memSource) after(since int64, sessionID string) ([]event.Event, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []event.Event
	for _, ev := range m.evs {
		if ev.Cursor > since && (sessionID == "" || ev.SessionID == sessionID) {
			out = append(out, ev)
		}
	}
	return out, m.notify
}

type memSub struct {
	ch     chan []event.Event
	cancel context.CancelFunc
	done   chan struct{}
}

func (m *memSource) Subscribe(ctx context.Context, since int64, sessionID string) (Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	s := &memSub{ch: make(chan []event.Event), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.ch)
		for {
			evs, wait := m.after(since, sessionID)
			if len(evs) > 0 {
				select {
				case s.ch <- evs:
					since = evs[len(evs)-1].Cursor
					continue
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-wait:
			case <-ctx.Done():
				return
			}
		}
	}()
	return s, nil
}

func (s *memSub) Events() <-chan []event.Event { return s.ch }
func (s *memSub) Err() error                   { return nil }
func (s *memSub) Close()                       { s.cancel(); <-s.done }

func (m *memSource) head() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursor, nil
}
