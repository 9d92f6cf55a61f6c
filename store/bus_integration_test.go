package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/store"
)

// With the real store: a subscriber that stops reading is cut off with its
// resume cursor, while a second subscriber receives every event of a
// 100,000-event flood in order and the producer finishes; the cut-off one
// resumes from its cursor with nothing missing. (The reading subscriber
// resumes too if a scheduling hiccup makes it fall behind, as a real client
// would; what matters is that it never waits for the stuck one.)
func TestStuckSubscriberDoesNotHoldBackStoreOrOthers(t *testing.T) {
	s, b, err := openWithBus(t.TempDir(), store.Options{}, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer b.Close()
	stuck, _ := b.Subscribe(context.Background(), 0, bus.Filter{})
	const total = 100_000
	got := make(chan int64, 1)
	go func() {
		var last int64
		for last < total {
			reader, err := b.Subscribe(context.Background(), last, bus.Filter{})
			if err != nil {
				break
			}
			for batch := range reader.C {
				for _, e := range batch {
					if e.Cursor != last+1 {
						reader.Close()
						got <- -e.Cursor
						return
					}
					last = e.Cursor
				}
				if last == total {
					break
				}
			}
			reader.Close()
		}
		got <- last
	}()
	evs := genEvents("flood", 1000)
	for i := 0; i < total; i += len(evs) {
		if err := s.Append(evs...); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != total {
		t.Fatalf("reading subscriber ended at cursor %d of %d (negative: out of order)", n, total)
	}
	for range stuck.C {
		t.Fatal("the stuck subscriber was never reading")
	}
	var d *bus.Dropped
	if !errors.As(stuck.Err(), &d) || d.Cursor != 0 {
		t.Fatalf("stuck subscriber ended with %v", stuck.Err())
	}
	// Resume from the cursor: the whole flood, from the store.
	again, _ := b.Subscribe(context.Background(), d.Cursor, bus.Filter{SessionID: "flood"})
	var n int64
	for batch := range again.C {
		for _, e := range batch {
			n++
			if e.Seq != n {
				t.Fatalf("resumed at seq %d, want %d", e.Seq, n)
			}
		}
		if n == total {
			break
		}
	}
	again.Close()
}

// A subscriber that reconnects with its last cursor after corral
// restarted gets exactly the events it missed.
func TestResumeAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s, b, err := openWithBus(dir, store.Options{}, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := b.Subscribe(context.Background(), 0, bus.Filter{SessionID: "a"})
	s.Append(genEvents("a", 100)...)
	s.Append(genEvents("b", 100)...)
	var last int64
	for seen := 0; seen < 40; {
		batch := <-sub.C
		seen += len(batch)
		last = batch[len(batch)-1].Cursor
	}
	sub.Close()
	s.Append(genEvents("a", 50)...) // missed while away
	b.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, b, err = openWithBus(dir, store.Options{}, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer b.Close()
	want, _ := s.EventsAfter(context.Background(), last, "a", false, 1000)
	if len(want) == 0 {
		t.Fatal("nothing missed")
	}
	sub, _ = b.Subscribe(context.Background(), last, bus.Filter{SessionID: "a"})
	defer sub.Close()
	s.Append(genEvents("a", 1)...) // live after the replay
	var got []int64
	for len(got) < len(want)+1 {
		for _, e := range <-sub.C {
			got = append(got, e.Cursor)
		}
	}
	for i, e := range want {
		if got[i] != e.Cursor {
			t.Fatalf("event %d: cursor %d, want %d", i, got[i], e.Cursor)
		}
	}
	if got[len(got)-1] <= want[len(want)-1].Cursor || len(got) != len(want)+1 {
		t.Fatalf("live event missing or duplicated: %v", got[len(want):])
	}
}
