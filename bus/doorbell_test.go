package bus

import (
	"context"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

// A doorbell rings on every publish, also while a subscriber of the same
// bus is busy and has its batches held back; rings do not pile up, and an
// unregistered doorbell no longer rings.
func TestDoorbellRingsOnEveryPublishWithoutDelay(t *testing.T) {
	// A MaxDelay no test waits out: a held-back delivery cannot pass for
	// the ring.
	b := New(nil, Options{MaxDelay: time.Hour, Burst: 1})
	defer b.Close()
	sub, err := b.Subscribe(context.Background(), -1, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ring, unring := b.Doorbell()
	batch := func(c int64) []event.Event {
		return []event.Event{{SessionID: "s", Seq: c, Cursor: c, Kind: "k"}}
	}
	b.Publish(batch(1))
	<-ring
	<-sub.C // the subscriber's first delivery: it is busy from now on
	for c := int64(2); c <= 4; c++ {
		b.Publish(batch(c))
		select {
		case <-ring:
		case <-time.After(10 * time.Second):
			t.Fatalf("no ring after batch %d", c)
		}
	}
	select {
	case evs := <-sub.C:
		t.Fatalf("the busy subscriber got %d events before its MaxDelay; the test proves nothing", len(evs))
	default:
	}
	b.Publish(batch(5))
	b.Publish(batch(6))
	<-ring
	select {
	case <-ring:
		t.Fatal("two publishes rang twice; the doorbell holds one ring")
	default:
	}
	unring()
	b.Publish(batch(7))
	select {
	case <-ring:
		t.Fatal("an unregistered doorbell rang")
	default:
	}
}
