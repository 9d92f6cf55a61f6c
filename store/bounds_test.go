package store

import (
	"testing"
	"time"
)

// TestBounds checks the adaptive queue and batch bounds: the fixed bounds
// apply while the writer is fast, they shrink in proportion when each
// event costs more, never below the floors, and a negative MaxCommitDelay
// turns the adaptation off.
func TestBounds(t *testing.T) {
	o := Options{}
	o.fill()
	cases := []struct {
		name         string
		opts         Options
		perEvent     time.Duration
		queue, batch int
	}{
		{"unmeasured", o, 0, 4096, 2048},
		{"fast writer keeps the fixed bounds", o, 2500 * time.Nanosecond, 4096, 2048},
		// 25 ms / (3 × 10 µs) = 833 events per batch, 1,666 queued.
		{"slow writer shrinks them", o, 10 * time.Microsecond, 1666, 833},
		{"floors", o, time.Millisecond, minQueueBound, minBatchBound},
		{"disabled", func() Options { x := o; x.MaxCommitDelay = -1; return x }(), time.Millisecond, 4096, 2048},
		{"small fixed bounds stay the cap", func() Options { x := o; x.QueueLimit, x.MaxBatch = 100, 10; return x }(), time.Millisecond, 100, 10},
	}
	for _, c := range cases {
		q, b := bounds(c.perEvent, &c.opts)
		if q != c.queue || b != c.batch {
			t.Errorf("%s: bounds(%v) = %d, %d; want %d, %d", c.name, c.perEvent, q, b, c.queue, c.batch)
		}
	}
}
