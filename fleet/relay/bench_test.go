package relay

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/event"
)

// commitClock records when each event of a store was committed (its
// Publish hook), by session and seq.
type commitClock struct {
	mu sync.Mutex
	at map[string][]time.Time // session → commit time by seq (index seq-1)
}

func newCommitClock() *commitClock { return &commitClock{at: map[string][]time.Time{}} }

func (c *commitClock) hook(batch []event.Event) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range batch {
		if ev.SessionID == "" {
			continue
		}
		l := c.at[ev.SessionID]
		for int64(len(l)) < ev.Seq {
			l = append(l, time.Time{})
		}
		l[ev.Seq-1] = now
		c.at[ev.SessionID] = l
	}
}

func (c *commitClock) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.at {
		n += len(l)
	}
	return n
}

// latencies returns hub − runner commit time of every event both saw.
func latencies(runner, hub *commitClock) []time.Duration {
	runner.mu.Lock()
	defer runner.mu.Unlock()
	hub.mu.Lock()
	defer hub.mu.Unlock()
	var out []time.Duration
	for sid, hl := range hub.at {
		rl := runner.at[sid]
		for i := range hl {
			if i < len(rl) && !hl[i].IsZero() && !rl[i].IsZero() {
				out = append(out, hl[i].Sub(rl[i]))
			}
		}
	}
	slices.Sort(out)
	return out
}

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// relayRig is a runner side and a hub side joined by the relay, each
// store's commits timed.
func relayRig(b *testing.B) (runner, hub *side, rc, hc *commitClock, ids []string) {
	rc, hc = newCommitClock(), newCommitClock()
	ns := startNATS(b)
	runner, hub = openSideHook(b, rc.hook), openSideHook(b, hc.hook)
	ids = createSessions(b, runner.st, 10)
	js, err := jetstream.New(ns.connect(b))
	if err != nil {
		b.Fatal(err)
	}
	cons := startHub(b, js, hub, nil)
	pub := startPublisher(b, ns.connect(b), runner, nil)
	b.Cleanup(func() {
		pub.Close()
		cons.Close()
	})
	return runner, hub, rc, hc, ids
}

// BenchmarkRelayFlood: 100,000 events appended on the runner as fast as
// it commits them; events/s until the hub committed the last one, and the
// commit-to-commit latency under that load. Run with -benchtime=1x.
func BenchmarkRelayFlood(b *testing.B) {
	for range b.N {
		runner, hub, rc, hc, ids := relayRig(b)
		start := time.Now()
		flood(b, runner.st, ids, floodTotal, nil)
		waitCount(b, hub.st, ids, floodTotal)
		el := time.Since(start)
		l := latencies(rc, hc)
		b.ReportMetric(float64(floodTotal)/el.Seconds(), "events/s")
		b.ReportMetric(float64(pct(l, 0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(pct(l, 0.99).Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkRelayPaced: 1,000 events/s for 5 s (10 sessions), as a busy
// runner streams them; delivery latency from the runner's commit to the
// hub's commit and bus. Run with -benchtime=1x.
func BenchmarkRelayPaced(b *testing.B) {
	const rate, secs = 1000, 5
	for range b.N {
		runner, hub, rc, hc, ids := relayRig(b)
		data := []byte(`{"text":"a delta of agent output of a realistic length, about eighty bytes","delta":true}`)
		tick := time.NewTicker(10 * time.Millisecond)
		for i := 0; i < secs*100; i++ {
			<-tick.C
			evs := make([]event.Event, rate/100)
			for j := range evs {
				evs[j] = event.Event{SessionID: ids[(i+j)%len(ids)], Kind: event.AssistantText, Data: data}
			}
			if err := runner.st.Append(evs...); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		if err := runner.st.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		want := int64(rc.count())
		waitCount(b, hub.st, ids, want)
		l := latencies(rc, hc)
		b.ReportMetric(float64(len(l)), "events")
		b.ReportMetric(float64(pct(l, 0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(pct(l, 0.99).Microseconds())/1000, "p99-ms")
	}
}
