package relay

import (
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/corral-dev/corral/internal/fakeagent"
)

func TestMain(m *testing.M) {
	if fakeagent.Enabled() {
		os.Exit(fakeagent.Main(os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}

// floodTotal is the number of events of each flood test.
const floodTotal = 100_000

type floodRig struct {
	t       *testing.T
	ns      *natsServer
	runner  *side
	hub     *side
	ids     []string
	log     *logSink
	hubJS   jetstream.JetStream
	pub     *Publisher
	cons    *Consumer
	stopped bool
}

func newFloodRig(t *testing.T) *floodRig {
	r := &floodRig{t: t, ns: startNATS(t), runner: openSide(t), hub: openSide(t), log: &logSink{}}
	r.ids = createSessions(t, r.runner.st, 10)
	hubNC := r.ns.connect(t)
	js, err := jetstream.New(hubNC)
	if err != nil {
		t.Fatal(err)
	}
	r.hubJS = js
	r.cons = startHub(t, js, r.hub, r.log.logf)
	r.pub = startPublisher(t, r.ns.connect(t), r.runner, r.log.logf)
	t.Cleanup(func() {
		r.pub.Close()
		r.cons.Close()
	})
	return r
}

// finish waits for the hub to hold every event and checks the replica.
func (r *floodRig) finish() {
	t := r.t
	defer func() {
		if t.Failed() {
			r.log.dump(t)
		}
	}()
	waitCount(t, r.hub.st, r.ids, floodTotal)
	// Let redeliveries and republished messages settle: none may add an
	// event.
	time.Sleep(300 * time.Millisecond)
	checkReplica(t, r.runner.st, r.hub.st, r.ids)
	if n := hubCount(t, r.hub.st, r.ids); n != floodTotal {
		t.Fatalf("hub holds %d events, want %d", n, floodTotal)
	}
	if g := r.cons.Stats().Gaps; g != 0 {
		t.Fatalf("%d gaps reported", g)
	}
	t.Logf("publisher %+v consumer %+v", r.pub.Stats(), r.cons.Stats())
}

func TestFlood(t *testing.T) {
	r := newFloodRig(t)
	flood(t, r.runner.st, r.ids, floodTotal, nil)
	r.finish()
	// The watermark reached the last event and is durable.
	waitFor(t, func() bool { return r.pub.Stats().Cursor >= lastCursor(t, r.runner) })
	if err := r.pub.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := r.runner.st.ReplicaMarks()
	if err != nil {
		t.Fatal(err)
	}
	if m.Cursor != lastCursor(t, r.runner) || m.Seqs[r.ids[0]] != floodTotal/int64(len(r.ids)) {
		t.Fatalf("durable marks %d %v, want cursor %d", m.Cursor, m.Seqs, lastCursor(t, r.runner))
	}
	// The session records came along with their owner.
	recs, err := r.hub.st.ListSessions(0)
	if err != nil || len(recs) != len(r.ids) || recs[0].Runner != "r1" {
		t.Fatalf("hub sessions %+v, %v", recs, err)
	}
}

func TestFloodServerRestart(t *testing.T) {
	r := newFloodRig(t)
	flood(t, r.runner.st, r.ids, floodTotal, func(k int) {
		switch {
		case k >= floodTotal/3 && r.ns.srv != nil && !r.stopped:
			r.stopped = true
			r.ns.stop() // the sessions go on: events are committed locally
		case k >= floodTotal*2/3 && r.ns.srv == nil:
			r.ns.start()
		}
	})
	if r.ns.srv == nil {
		r.ns.start()
	}
	r.finish()
	if r.pub.Stats().Rewinds == 0 {
		t.Fatal("the publisher never noticed the outage")
	}
}

func TestFloodConsumerRestart(t *testing.T) {
	r := newFloodRig(t)
	restarted := false
	flood(t, r.runner.st, r.ids, floodTotal, func(k int) {
		if k >= floodTotal/2 && !restarted && hubCount(t, r.hub.st, r.ids) > 0 {
			restarted = true
			r.cons.Close()
			r.cons = startHub(t, r.hubJS, r.hub, r.log.logf)
		}
	})
	if !restarted {
		t.Fatal("the consumer was not restarted mid-flood")
	}
	r.finish()
}

func TestPublisherRestartResumesFromWatermark(t *testing.T) {
	r := newFloodRig(t)
	var ackedBefore int64
	flood(t, r.runner.st, r.ids, floodTotal, func(k int) {
		if k >= floodTotal/2 && ackedBefore == 0 && r.pub.Stats().Cursor > 0 {
			// A runner restart: the publisher stops; the new one reads
			// its position from the runner's store.
			ackedBefore = r.pub.Stats().Cursor
			if err := r.pub.Close(); err != nil {
				t.Fatal(err)
			}
			r.pub = startPublisher(t, r.ns.connect(t), r.runner, r.log.logf)
		}
	})
	if ackedBefore == 0 {
		t.Fatal("the publisher was not restarted mid-flood")
	}
	r.finish()
	// The new publisher started at the old one's durable watermark, and
	// unless it had to rewind, published only what came after it.
	st := r.pub.Stats()
	if st.Start < ackedBefore {
		t.Fatalf("the restarted publisher started at cursor %d, before the watermark %d", st.Start, ackedBefore)
	}
	if most := lastCursor(t, r.runner) - st.Start; st.Rewinds == 0 && st.Published > most {
		t.Fatalf("the restarted publisher published %d events, more than the %d after its watermark", st.Published, most)
	}
	if d := r.cons.Stats().Duplicates; d != 0 {
		t.Logf("%d duplicates offered and dropped", d)
	}
}

func lastCursor(t testing.TB, s *side) int64 {
	c, err := s.st.LastCursor()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
