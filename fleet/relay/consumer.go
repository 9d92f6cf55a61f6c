package relay

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/fleet"
	"github.com/corral-dev/corral/store"
)

// DefaultDurable is the name of the hub's durable consumer on CORRAL_EVENTS.
const DefaultDurable = fleet.HubConsumer

// StreamConfig is CORRAL_EVENTS: every runner's events, file storage, a
// duplicate window over which JetStream drops a republished Nats-Msg-Id,
// and a week of age beyond which an event no hub consumed is dropped.
func StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "corral fleet: runners' session events",
		Subjects:    []string{fleet.EventsWildcard},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  10 * time.Minute,
		MaxAge:      7 * 24 * time.Hour,
	}
}

// EnsureStream creates CORRAL_EVENTS, or updates it to StreamConfig. The
// hub calls it (a runner's credentials cannot manage streams).
func EnsureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	return js.CreateOrUpdateStream(ctx, StreamConfig())
}

// ConsumerOptions configure a Consumer. Store and JS are required.
type ConsumerOptions struct {
	Store *store.Store // the hub's store, opened with Publish → the hub's bus
	JS    jetstream.JetStream
	// Durable is the consumer's name (DefaultDurable if empty).
	Durable string
	// Batch is the most events committed in one store transaction
	// (default 1024).
	Batch int
	// NakDelay is how long an event that arrived before its predecessor
	// waits before it is offered again (default 200 ms).
	NakDelay time.Duration
	// AckWait is how long JetStream waits for an ack before redelivering
	// (default 10 s).
	AckWait time.Duration
	// OnGap, when set, hears of each gap stored (see the package doc).
	OnGap func(runner string, g store.Gap)
	// Logf, when set, hears of messages refused and store failures.
	Logf func(format string, args ...any)
}

func (o *ConsumerOptions) fill() {
	if o.Durable == "" {
		o.Durable = DefaultDurable
	}
	if o.Batch <= 0 {
		o.Batch = 1024
	}
	if o.NakDelay <= 0 {
		o.NakDelay = 200 * time.Millisecond
	}
	if o.AckWait <= 0 {
		o.AckWait = 10 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// ConsumerStats counts what a Consumer did since it started.
type ConsumerStats struct {
	Stored     int64 // events committed to the hub's store
	Duplicates int64 // events already stored, acknowledged and dropped
	Early      int64 // events offered again because their predecessor was missing
	Gaps       int64 // gaps stored (events the runner no longer had)
	Refused    int64 // malformed messages, terminated
	Failures   int64 // store commits that failed (the batch is offered again)
}

// Consumer is the hub's side of the event relay: a durable pull consumer
// on CORRAL_EVENTS that commits each event to the hub's store
// (store.AppendReplicatedGroups) and acknowledges it only after the commit.
type Consumer struct {
	o    ConsumerOptions
	cc   jetstream.ConsumeContext
	in   chan jetstream.Msg
	stop chan struct{}
	done chan struct{}
	once sync.Once

	stored, dups, early, gaps, refused, failures atomic.Int64
}

// StartConsumer ensures the stream and the durable consumer and starts
// consuming.
func StartConsumer(ctx context.Context, o ConsumerOptions) (*Consumer, error) {
	if o.Store == nil || o.JS == nil {
		return nil, errors.New("relay: StartConsumer needs Store and JS")
	}
	o.fill()
	if _, err := EnsureStream(ctx, o.JS); err != nil {
		return nil, err
	}
	cons, err := o.JS.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:       o.Durable,
		Description:   "corral hub: replicate runners' events into the hub's store",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: max(16*o.Batch, 16384),
		FilterSubject: fleet.EventsWildcard,
	})
	if err != nil {
		return nil, err
	}
	c := &Consumer{o: o, in: make(chan jetstream.Msg, 2*o.Batch), stop: make(chan struct{}), done: make(chan struct{})}
	c.cc, err = cons.Consume(c.receive, jetstream.PullMaxMessages(2*o.Batch),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			o.Logf("relay: consumer: %v", err)
		}))
	if err != nil {
		return nil, err
	}
	go c.run()
	return c, nil
}

// Stats returns the Consumer's counters.
func (c *Consumer) Stats() ConsumerStats {
	return ConsumerStats{Stored: c.stored.Load(), Duplicates: c.dups.Load(), Early: c.early.Load(),
		Gaps: c.gaps.Load(), Refused: c.refused.Load(), Failures: c.failures.Load()}
}

// Close stops consuming. Messages received and not yet committed are
// negatively acknowledged, so JetStream offers them again at once.
func (c *Consumer) Close() {
	c.once.Do(func() {
		// stop first: a callback blocked on a full queue then returns
		// (naking its message), so Stop never waits on it.
		close(c.stop)
		c.cc.Stop()
		<-c.done
		<-c.cc.Closed()
		for {
			select {
			case m := <-c.in:
				_ = m.Nak()
			default:
				return
			}
		}
	})
}

// receive is the Consume callback: it hands messages to run, blocking
// while run is a full batch behind (back-pressure on the pull).
func (c *Consumer) receive(m jetstream.Msg) {
	select {
	case c.in <- m:
	case <-c.stop:
		_ = m.Nak()
	}
}

func (c *Consumer) run() {
	defer close(c.done)
	batch := make([]jetstream.Msg, 0, c.o.Batch)
	for {
		select {
		case m := <-c.in:
			batch = append(batch[:0], m)
		case <-c.stop:
			return
		}
	fill:
		for len(batch) < c.o.Batch {
			select {
			case m := <-c.in:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		c.commit(batch)
		clear(batch)
	}
}

// decoded is one message turned into a Replica, with its runner.
type decoded struct {
	msg    jetstream.Msg
	runner string
	rep    store.Replica
}

// decode checks and decodes one message; ok is false for a message that
// can never be stored.
func decode(m jetstream.Msg) (d decoded, ok bool) {
	name, sid, ok := parseEventSubject(m.Subject())
	if !ok {
		return d, false
	}
	var ev event.Event
	if err := json.Unmarshal(m.Data(), &ev); err != nil || ev.SessionID != sid || ev.Seq <= 0 {
		return d, false
	}
	d = decoded{msg: m, runner: name, rep: store.Replica{Event: ev}}
	h := m.Headers()
	if v := h.Get(HeaderPrev); v != "" {
		p, err := strconv.ParseInt(v, 10, 64)
		if err != nil || p < 0 {
			return d, false
		}
		d.rep.Prev = p
	} else {
		d.rep.Prev = ev.Seq - 1
	}
	if v := h.Get(HeaderSession); v != "" {
		var rec store.Session
		if err := json.Unmarshal([]byte(v), &rec); err == nil && rec.ID == sid {
			d.rep.Session = &rec
		}
	}
	return d, true
}

// commit stores one batch in one transaction, the events grouped by
// runner (byRunner), and acknowledges each message by its outcome.
func (c *Consumer) commit(msgs []jetstream.Msg) {
	ds := make([]decoded, 0, len(msgs))
	for _, m := range msgs {
		d, ok := decode(m)
		if !ok {
			c.refused.Add(1)
			c.o.Logf("relay: consumer: refusing malformed message on %s", m.Subject())
			_ = m.Term()
			continue
		}
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		return
	}
	groups := byRunner(ds)
	in := make([]store.RunnerReplicas, len(groups))
	for g, grp := range groups {
		reps := make([]store.Replica, len(grp))
		for i := range grp {
			reps[i] = grp[i].rep
		}
		in[g] = store.RunnerReplicas{Runner: grp[0].runner, Replicas: reps}
	}
	res, err := c.o.Store.AppendReplicatedGroups(context.Background(), in)
	if err == nil {
		for g, grp := range groups {
			c.settle(grp, res[g])
		}
		return
	}
	var u *store.Unavailable
	if len(groups) > 1 && !errors.As(err, &u) {
		// Not the store (a full disk fails every runner alike) but one
		// runner's data, perhaps: each runner on its own, so that only
		// the messages that cannot be stored are offered again.
		for g, grp := range groups {
			c.commitRunner(grp, in[g])
		}
		return
	}
	c.failed(ds, len(groups), err)
}

// commitRunner stores one runner's messages of a batch on their own.
func (c *Consumer) commitRunner(ds []decoded, in store.RunnerReplicas) {
	res, err := c.o.Store.AppendReplicated(context.Background(), in.Runner, in.Replicas)
	if err != nil {
		c.failed(ds, 1, err)
		return
	}
	c.settle(ds, res)
}

// failed offers the messages of a commit that failed again, after NakDelay.
func (c *Consumer) failed(ds []decoded, runners int, err error) {
	c.failures.Add(1)
	c.o.Logf("relay: consumer: storing %d events of %d runners: %v", len(ds), runners, err)
	for _, d := range ds {
		_ = d.msg.NakWithDelay(c.o.NakDelay)
	}
}

// byRunner splits a batch into one group per runner, the runners in the
// order of their first message, each group in the batch's order (so each
// session's events keep theirs).
func byRunner(ds []decoded) [][]decoded {
	var groups [][]decoded
	at := map[string]int{}
	for _, d := range ds {
		i, ok := at[d.runner]
		if !ok {
			i = len(groups)
			at[d.runner] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], d)
	}
	return groups
}

// settle acknowledges one runner's messages of a committed batch by their
// outcomes and reports its gaps.
func (c *Consumer) settle(ds []decoded, res store.ReplicaResult) {
	for i, d := range ds {
		switch res.Outcomes[i] {
		case store.ReplicaStored:
			c.stored.Add(1)
			_ = d.msg.Ack()
		case store.ReplicaDuplicate:
			c.dups.Add(1)
			_ = d.msg.Ack()
		case store.ReplicaEarly:
			c.early.Add(1)
			_ = d.msg.NakWithDelay(c.o.NakDelay)
		}
	}
	for _, g := range res.Gaps {
		c.gaps.Add(1)
		if c.o.OnGap != nil {
			c.o.OnGap(ds[0].runner, g)
		}
	}
}
