package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/corral-dev/corral/event"
)

// BenchmarkBridge measures what the desktop adds per event between the
// event source and Wails' EventsEmit: the cursor bookkeeping and the
// notifier's decision (an assistant.text delta, the common case).
func BenchmarkBridge(b *testing.B) {
	const batch = 256
	src := &scriptedSource{subs: make(chan *scriptedSub, 1)}
	nt := newNotifier(func(notification) error { return nil })
	emitted := 0
	br := &bridge{src: src, emit: func(event.Event) { emitted++ }, observe: func(ev event.Event) { nt.observe(ev) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { br.run(ctx, 0); close(done) }()
	sub := <-src.subs
	data := json.RawMessage(`{"text":"hello ","delta":true,"messageId":"m1"}`)
	cursor := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		evs := make([]event.Event, batch)
		for j := range evs {
			cursor++
			evs[j] = event.Event{Cursor: cursor, Seq: cursor, SessionID: "s", RunID: "r", Kind: event.AssistantText, Data: data}
		}
		sub.c <- evs
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(cursor), "ns/event")
}

func BenchmarkNotificationForTurnCompleted(b *testing.B) {
	ev := event.Event{Kind: event.TurnCompleted, SessionID: "s-0123456789", RunID: "r1",
		Data: json.RawMessage(`{"ok":true,"result":"Done: 3 files changed, all tests pass."}`)}
	b.ReportAllocs()
	for b.Loop() {
		notificationFor(ev)
	}
}
