package main

import (
	"context"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/event"
)

// wailsEventName is the one Wails event the frontend's Wails adapter
// listens to; each carries one event.Event, exactly the JSON the browser
// mode sends as an SSE frame's data.
const wailsEventName = "corral:event"

// bridge forwards the event stream to the window: every event committed
// after the start point, in cursor order, once. It also shows each event to
// observe (the notifier). It is the desktop counterpart of the SSE handler.
type bridge struct {
	src     api.EventSource
	emit    func(event.Event)
	observe func(event.Event)
	// retry is how long to wait before subscribing again when the
	// subscription ends while the app still runs (the bus cut a reader that
	// fell behind, or the source restarted); the new subscription resumes
	// from the last cursor sent, so nothing is lost or repeated.
	retry time.Duration
	// after is the clock for retry; tests inject their own.
	after func(time.Duration) <-chan time.Time
}

// run forwards events with Cursor > since until ctx is done. It returns the
// last cursor forwarded.
func (b *bridge) run(ctx context.Context, since int64) int64 {
	after := b.after
	if after == nil {
		after = time.After
	}
	last := since
	for ctx.Err() == nil {
		sub, err := b.src.Subscribe(ctx, last, "")
		if err == nil {
			last = b.drain(ctx, sub, last)
			sub.Close()
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-after(b.retry):
		}
	}
	return last
}

func (b *bridge) drain(ctx context.Context, sub api.Subscription, last int64) int64 {
	for {
		select {
		case <-ctx.Done():
			return last
		case batch, ok := <-sub.Events():
			if !ok {
				return last
			}
			for _, ev := range batch {
				if ev.Cursor != 0 && ev.Cursor <= last {
					continue // already forwarded before a resubscription
				}
				b.emit(ev)
				if b.observe != nil {
					b.observe(ev)
				}
				if ev.Cursor > last {
					last = ev.Cursor
				}
			}
		}
	}
}
