package relay

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/fleet"
)

// An event committed while the Publisher waits for an earlier event's ack
// is published at once, not after that ack. A plain subscriber stands in
// for JetStream and never acknowledges: the first event's ack is still
// outstanding when the second must already arrive (before, it came only
// after the first's ack timed out and the Publisher rewound, as a
// republished first event).
func TestPublisherPublishesACommitWithoutWaitingForTheAckBefore(t *testing.T) {
	ns := startNATS(t)
	runner := openSide(t)
	ids := createSessions(t, runner.st, 1)
	sub, err := ns.connect(t).SubscribeSync(fleet.EventsWildcard)
	if err != nil {
		t.Fatal(err)
	}
	p := startPublisher(t, ns.connect(t), runner, t.Logf)
	defer p.Close()
	next := func() string {
		t.Helper()
		m, err := sub.NextMsgWithContext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return m.Header.Get(nats.MsgIdHdr)
	}
	data := []byte(`{"text":"a line","delta":true}`)
	if err := runner.st.Append(event.Event{SessionID: ids[0], Kind: event.AssistantText, Data: data}); err != nil {
		t.Fatal(err)
	}
	first := next()
	if first != MsgID("r1", ids[0], 1) {
		t.Fatalf("first message %q, want seq 1", first)
	}
	if err := runner.st.Append(event.Event{SessionID: ids[0], Kind: event.AssistantText, Data: data}); err != nil {
		t.Fatal(err)
	}
	if got, want := next(), MsgID("r1", ids[0], 2); got != want {
		t.Fatalf("after the first event, while its ack was outstanding, the Publisher sent %q (rewinds %d), want %q at once",
			got, p.Stats().Rewinds, want)
	}
	if s := p.Stats(); s.Rewinds != 0 || s.Acked != 0 {
		t.Fatalf("stats %+v, want no ack and no rewind yet", s)
	}
}
