package store_test

import (
	"fmt"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func seqsOf(evs []event.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

func TestEventsBeforePagesBackwardsInAscendingOrder(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	// Two sessions interleaved, so a page of one must not pick up the other.
	for i := 1; i <= 250; i++ {
		for _, sess := range []string{"x", "y"} {
			if err := s.Append(ev(sess, event.Stdout, fmt.Sprintf(`{"i":%d}`, i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(before int64, limit int, first, last int64) {
		t.Helper()
		evs, err := s.EventsBefore("x", before, limit)
		if err != nil {
			t.Fatal(err)
		}
		want := int(last - first + 1)
		if first > last {
			want = 0
		}
		if len(evs) != want {
			t.Fatalf("before %d limit %d: %d events %v, want %d..%d", before, limit, len(evs), seqsOf(evs), first, last)
		}
		for i, e := range evs {
			if e.Seq != first+int64(i) || e.SessionID != "x" || string(e.Data) != fmt.Sprintf(`{"i":%d}`, e.Seq) {
				t.Fatalf("before %d: event %d is %+v", before, i, e)
			}
		}
	}
	check(0, 100, 151, 250)  // the newest page
	check(151, 100, 51, 150) // the page before it
	check(51, 100, 1, 50)    // the oldest, shorter
	check(1, 100, 1, 0)      // nothing before the first
	check(400, 10, 241, 250) // before past the end is the newest page
	check(0, 0, 1, 250)      // the default limit (DefaultPage) covers all 250
	if evs, err := s.EventsBefore("nope", 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("unknown session: %v %v", evs, err)
	}
	// Paging backwards from the end and forwards from the start agree.
	var back []event.Event
	for before := int64(0); ; {
		page, err := s.EventsBefore("x", before, 64)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		back = append(page, back...)
		before = page[0].Seq
	}
	fwd, err := s.Events("x", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqsOf(back)) != fmt.Sprint(seqsOf(fwd)) {
		t.Fatalf("backwards %v\nforwards %v", seqsOf(back), seqsOf(fwd))
	}
}
