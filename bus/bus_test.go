package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/event"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memLog is an in-memory stand-in for the store: append commits (assigns
// cursors) and then publishes, like the store's writer.
type memLog struct {
	mu    sync.Mutex
	evs   []event.Event
	seqs  map[string]int64
	bus   *Bus
	reads int
}

func newMemLog() *memLog { return &memLog{seqs: map[string]int64{}} }

func (l *memLog) append(sessions ...string) []event.Event {
	l.mu.Lock()
	batch := make([]event.Event, len(sessions))
	for i, s := range sessions {
		l.seqs[s]++
		batch[i] = event.Event{SessionID: s, Seq: l.seqs[s], Cursor: int64(len(l.evs) + 1), Kind: event.Stdout}
		l.evs = append(l.evs, batch[i])
	}
	l.mu.Unlock()
	// Published after the commit, from the one appending goroutine.
	l.bus.Publish(batch)
	return batch
}

func (l *memLog) EventsAfter(ctx context.Context, cursor int64, session string, all bool, limit int) ([]event.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	var out []event.Event
	for _, e := range l.evs {
		if e.Cursor > cursor && (all || e.SessionID == session) {
			out = append(out, e)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (l *memLog) want(since int64, f Filter) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int64
	for _, e := range l.evs {
		if e.Cursor > since && f.match(&e) {
			out = append(out, e.Cursor)
		}
	}
	return out
}

func TestPlan(t *testing.T) {
	o := &Options{}
	o.fill()
	ms := time.Millisecond
	cases := []struct {
		name     string
		pending  int
		age, gap time.Duration
		deliver  bool
		wait     time.Duration
	}{
		{"nothing queued", 0, 0, 0, false, 0},
		{"first event after quiet spell goes at once", 1, 0, 100 * ms, true, 0},
		{"exactly MaxDelay quiet counts as idle", 1, 0, 16 * ms, true, 0},
		{"under load a single event waits", 1, 0, 2 * ms, false, 16 * ms},
		{"under load waits only the remainder", 10, 10 * ms, 0, false, 6 * ms},
		{"under load delivered when MaxDelay reached", 10, 16 * ms, 0, true, 0},
		{"full batch goes at once", 256, 0, 0, true, 0},
		{"more than a batch goes at once", 5000, 0, -time.Second, true, 0},
		{"back-to-back deliveries are load", 3, 1 * ms, -5 * ms, false, 15 * ms},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, w := plan(c.pending, c.age, c.gap, o)
			if d != c.deliver || w != c.wait {
				t.Fatalf("plan(%d, %v, %v) = %v, %v; want %v, %v", c.pending, c.age, c.gap, d, w, c.deliver, c.wait)
			}
		})
	}
}

// drain reads a subscription until n events arrived or it ends.
func drain(t *testing.T, s *Subscription, n int) []int64 {
	t.Helper()
	var got []int64
	for len(got) < n {
		b, ok := <-s.C
		if !ok {
			t.Fatalf("subscription ended after %d/%d events: %v", len(got), n, s.Err())
		}
		if len(b) == 0 || len(b) > 256 {
			t.Fatalf("batch of %d events", len(b))
		}
		for _, e := range b {
			got = append(got, e.Cursor)
		}
	}
	return got
}

func equal(a, b []int64) error {
	if len(a) != len(b) {
		return fmt.Errorf("got %d events, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Errorf("at %d got cursor %d, want %d", i, a[i], b[i])
		}
	}
	return nil
}

// Subscribing while a producer runs, from several starting points and
// filters: each subscriber gets exactly the matching events after its since,
// in order, no gap, no duplicate.
func TestReplayThenLiveNoGapNoDuplicate(t *testing.T) {
	for round := 0; round < 20; round++ {
		l := newMemLog()
		b := New(l, Options{ReplayPage: 7, MaxBatch: 5})
		l.bus = b
		sessions := []string{"a", "b", ""}
		const total = 3000
		for i := 0; i < 500; i++ {
			l.append(sessions[i%3])
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 500; i < total; i++ {
				l.append(sessions[i%3], sessions[(i+1)%3])
			}
		}()
		type sub struct {
			s     *Subscription
			since int64
			f     Filter
		}
		var subs []sub
		for i, f := range []Filter{{}, {SessionID: "a"}, {System: true}, {}, {SessionID: "b"}} {
			since := int64(i * 97)
			s, err := b.Subscribe(context.Background(), since, f)
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub{s, since, f})
			time.Sleep(time.Duration(i) * 100 * time.Microsecond)
		}
		var wg sync.WaitGroup
		results := make([][]int64, len(subs))
		<-done
		for i, sb := range subs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = drain(t, sb.s, len(l.want(sb.since, sb.f)))
			}()
		}
		wg.Wait()
		for i, sb := range subs {
			if err := equal(results[i], l.want(sb.since, sb.f)); err != nil {
				t.Fatalf("round %d subscriber %d (since %d, %+v): %v", round, i, sb.since, sb.f, err)
			}
			sb.s.Close()
			if !errors.Is(sb.s.Err(), context.Canceled) {
				t.Fatalf("err after Close: %v", sb.s.Err())
			}
		}
		b.Close()
	}
}

// A subscriber that stops reading is cut off with its resume cursor; the
// producer and a second subscriber are not held up, and the cut-off one
// resumes from its cursor without a gap.
func TestSlowSubscriberIsCutOffAndResumes(t *testing.T) {
	l := newMemLog()
	b := New(l, Options{QueueLimit: 100})
	l.bus = b
	stuck, _ := b.Subscribe(context.Background(), -1, Filter{})
	fast, _ := b.Subscribe(context.Background(), -1, Filter{})
	defer fast.Close()

	// stuck reads exactly one batch, then stops reading.
	l.append("s")
	first := <-stuck.C
	if len(first) != 1 || first[0].Cursor != 1 {
		t.Fatalf("first batch %+v", first)
	}
	var fastGot []int64
	var fastErr error
	progress := make(chan int64, 1)
	fastDone := make(chan struct{})
	go func() {
		defer close(fastDone)
		for b := range fast.C {
			for _, e := range b {
				fastGot = append(fastGot, e.Cursor)
			}
			select {
			case <-progress:
			default:
			}
			progress <- b[len(b)-1].Cursor
			if len(fastGot) == 10001 {
				return
			}
		}
		fastErr = fast.Err()
	}()
	// The producer publishes far more than the queue limit, in bursts of 50
	// that a reading subscriber keeps up with. If the stuck subscriber could
	// block Publish or the fast one, this loop would never finish.
	for i := 0; i < 200; i++ {
		var last int64
		for j := 0; j < 50; j++ {
			last = l.append("s")[0].Cursor
		}
		for c := int64(0); c < last; {
			select {
			case c = <-progress:
			case <-fastDone:
				t.Fatalf("fast subscriber ended: %v", fastErr)
			}
		}
	}
	<-fastDone
	if err := equal(fastGot, l.want(0, Filter{})); err != nil {
		t.Fatalf("fast subscriber: %v", err)
	}
	// stuck's channel is closed (possibly after nothing more), with the
	// cursor of the last event it took.
	for range stuck.C {
		t.Fatal("stuck subscriber received a batch after falling behind")
	}
	var d *Dropped
	if !errors.As(stuck.Err(), &d) || d.Cursor != 1 || d.Pending <= 100 {
		t.Fatalf("stuck err = %v", stuck.Err())
	}
	if ev := d.Event(); ev.Kind != event.SubscriberDropped || string(ev.Data) != `{"cursor":1}` {
		t.Fatalf("dropped event %+v %s", ev, ev.Data)
	}
	// Resume.
	again, err := b.Subscribe(context.Background(), d.Cursor, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := equal(drain(t, again, 10000), l.want(1, Filter{})); err != nil {
		t.Fatalf("resumed: %v", err)
	}
	again.Close()
	b.Close()
}

// While replaying, a live queue overflow does not cut the subscriber off:
// the store has those events, and the replay reads them.
func TestOverflowDuringReplayIsHarmless(t *testing.T) {
	l := newMemLog()
	b := New(l, Options{QueueLimit: 10, ReplayPage: 50})
	l.bus = b
	for i := 0; i < 1000; i++ {
		l.append("x")
	}
	s, _ := b.Subscribe(context.Background(), 0, Filter{})
	// Whether this slow reader is still replaying when the producer gets
	// ahead of it depends on scheduling: while it replays, the overflow
	// must not matter; once it is live and more than its queue behind, it
	// is cut off at the last cursor it received. Either way, resuming from
	// that cursor must give every event once, in order.
	var got []int64
	var last int64
	resumes := 0
	next := func() []event.Event {
		for {
			batch, ok := <-s.C
			if ok {
				return batch
			}
			var d *Dropped
			if !errors.As(s.Err(), &d) {
				t.Fatalf("subscription ended: %v", s.Err())
			}
			if d.Cursor != last {
				t.Fatalf("cut off at cursor %d, but the last event delivered was %d", d.Cursor, last)
			}
			resumes++
			s, _ = b.Subscribe(context.Background(), d.Cursor, Filter{})
		}
	}
	take := func(batch []event.Event) {
		for _, e := range batch {
			got = append(got, e.Cursor)
			last = e.Cursor
		}
	}
	for i := 0; i < 1000; i++ {
		l.append("x")
		if i%10 == 0 {
			take(next())
		}
	}
	for len(got) < 2000 {
		take(next())
	}
	if err := equal(got, l.want(0, Filter{})); err != nil {
		t.Fatalf("%v (after %d resumes)", err, resumes)
	}
	s.Close()
	b.Close()
}

func TestContextAndBusClose(t *testing.T) {
	l := newMemLog()
	b := New(l, Options{})
	l.bus = b
	ctx, cancel := context.WithCancel(context.Background())
	s1, _ := b.Subscribe(ctx, 0, Filter{})
	s2, _ := b.Subscribe(context.Background(), -1, Filter{SessionID: "z"})
	cancel()
	for range s1.C {
	}
	if !errors.Is(s1.Err(), context.Canceled) {
		t.Fatalf("s1 err %v", s1.Err())
	}
	b.Close()
	for range s2.C {
	}
	if !errors.Is(s2.Err(), ErrClosed) {
		t.Fatalf("s2 err %v", s2.Err())
	}
	if _, err := b.Subscribe(context.Background(), 0, Filter{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe on closed bus: %v", err)
	}
	if _, err := New(nil, Options{}).Subscribe(context.Background(), 0, Filter{}); err == nil {
		t.Fatal("replay without source accepted")
	}
}

// An event published to an idle bus is delivered without waiting for
// company (no timer involved: plan says deliver at once).
func TestIdleDeliveryIsImmediateAndFiltered(t *testing.T) {
	l := newMemLog()
	b := New(l, Options{MaxDelay: time.Hour})
	l.bus = b
	s, _ := b.Subscribe(context.Background(), -1, Filter{SessionID: "a"})
	l.append("b", "a", "")
	got := <-s.C // with MaxDelay an hour, only the idle rule can deliver this
	if len(got) != 1 || got[0].SessionID != "a" {
		t.Fatalf("got %+v", got)
	}
	s.Close()
	b.Close()
}

// TestBurstIsDeliveredAtOnceThenCoalesced checks the idle rule with a
// MaxDelay so long that only the rule can release an event: the first
// Burst events, published one at a time, each arrive on their own; the
// next one is held, and goes out with the events after it once they fill
// a batch.
func TestBurstIsDeliveredAtOnceThenCoalesced(t *testing.T) {
	l := newMemLog()
	b := New(l, Options{MaxDelay: time.Hour, Burst: 4, MaxBatch: 10})
	l.bus = b
	s, err := b.Subscribe(context.Background(), -1, Filter{}) // live only: no replay
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := int64(1); i <= 4; i++ {
		l.append("s")
		var got []event.Event
		select {
		case got = <-s.C:
		case <-time.After(30 * time.Second): // MaxDelay is an hour: the event was held
			t.Fatalf("event %d of the burst was held back", i)
		}
		if len(got) != 1 || got[0].Cursor != i {
			t.Fatalf("delivery %d: %v", i, got)
		}
	}
	for i := 0; i < 10; i++ {
		l.append("s")
	}
	got := <-s.C
	if len(got) != 10 || got[0].Cursor != 5 || got[9].Cursor != 14 {
		t.Fatalf("after the burst: a batch of %d from %d, want 10 from 5", len(got), got[0].Cursor)
	}
}

// appendBig commits n events of session s whose Data is data (shared, so
// the test itself stays small), one batch each, like a stream of the
// parts of a huge line.
func (l *memLog) appendBig(s string, data []byte, n int) {
	for i := 0; i < n; i++ {
		l.mu.Lock()
		l.seqs[s]++
		ev := event.Event{SessionID: s, Seq: l.seqs[s], Cursor: int64(len(l.evs) + 1), Kind: event.Stdout, Data: data}
		l.evs = append(l.evs, ev)
		l.mu.Unlock()
		l.bus.Publish([]event.Event{ev})
	}
}

// queuedBytes is what a subscription's queue holds in Data and Raw.
func queuedBytes(s *Subscription) (n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.q {
		n += int64(len(s.q[i].Data) + len(s.q[i].Raw))
	}
	return n
}

// TestStalledSubscriberIsBoundedInBytes publishes the parts of a huge
// line (1,000 events of 256 KiB: far fewer events than QueueLimit, far
// more bytes than QueueBytes) to a subscriber that never reads. Its queue
// must stay under the byte bound, it must be cut off like a subscriber
// past QueueLimit, and it must then get every event, with no loss, by
// resuming from the store.
func TestStalledSubscriberIsBoundedInBytes(t *testing.T) {
	l := newMemLog()
	b := New(l, Options{})
	l.bus = b
	defer b.Close()
	stuck, err := b.Subscribe(context.Background(), -1, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 256<<10)
	var largest int64
	for i := 0; i < 1000; i++ {
		l.appendBig("s", data, 1)
		largest = max(largest, queuedBytes(stuck))
	}
	// The bound, plus the one event that finds it full.
	if limit := int64(64<<20) + int64(len(data)); largest > limit {
		t.Fatalf("a subscriber that never reads queued %d MiB (bound %d MiB)", largest>>20, limit>>20)
	}
	for range stuck.C {
		t.Fatal("the stalled subscriber received a batch")
	}
	var d *Dropped
	if !errors.As(stuck.Err(), &d) || d.Cursor != 0 || d.Bytes <= 64<<20 {
		t.Fatalf("stalled subscriber ended with %v", stuck.Err())
	}
	again, err := b.Subscribe(context.Background(), d.Cursor, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := equal(drain(t, again, 1000), l.want(0, Filter{})); err != nil {
		t.Fatalf("resumed: %v", err)
	}
	again.Close()
}

func TestOverflow(t *testing.T) {
	o := &Options{QueueLimit: 10, QueueBytes: 1000}
	o.fill()
	cases := []struct {
		events      int
		bytes, held int64
		want        bool
	}{
		{10, 1000, 500, false},
		{11, 10, 0, true},       // past the event bound
		{5, 1001, 500, true},    // past the byte bound
		{1, 5000, 0, false},     // one huge batch offered to an empty queue
		{3, 5000, 0, false},     // the same with several events
		{3, 1001, 1, true},      // anything held: the byte bound applies
		{10, 1000, 1000, false}, // at the bound
	}
	for _, c := range cases {
		if got := overflow(c.events, c.bytes, c.held, o); got != c.want {
			t.Errorf("overflow(%d, %d, %d) = %v", c.events, c.bytes, c.held, got)
		}
	}
}
