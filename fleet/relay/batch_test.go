package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// The runners' messages reach the hub interleaved. A batch holding them is
// committed in one hub store transaction, not one per run of a runner's
// messages (with 3 runners that was near one commit per event, each waited
// for in turn, and the hub's delivery queued behind them) nor one per
// runner.
func TestConsumerCommitsABatchOnce(t *testing.T) {
	ctx := context.Background()
	js := eventsStream(t)
	// r1, r2, r1, r2, ...: each runner's session, seqs 1..4.
	const perRunner = 4
	runners := []string{"r1", "r2"}
	for seq := int64(1); seq <= perRunner; seq++ {
		for _, r := range runners {
			publishEvent(t, js, r, "s-"+r, seq)
		}
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable: "batch-test", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	total := perRunner * len(runners)
	var msgs []jetstream.Msg
	for len(msgs) < total {
		b, err := cons.Fetch(total-len(msgs), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range b.Messages() {
			msgs = append(msgs, m)
		}
		if err := b.Error(); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	var commits [][]event.Event
	hub := openSideHook(t, func(batch []event.Event) {
		mu.Lock()
		defer mu.Unlock()
		commits = append(commits, append([]event.Event(nil), batch...))
	})
	c := &Consumer{o: ConsumerOptions{Store: hub.st, JS: js}}
	c.o.fill()
	c.commit(msgs)

	if got := c.Stats().Stored; got != int64(total) {
		t.Fatalf("stored %d events, want %d (stats %+v)", got, total, c.Stats())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(commits) != 1 {
		t.Fatalf("%d hub store commits for a batch of %d runners' interleaved messages, want 1: %v",
			len(commits), len(runners), commitSessions(commits))
	}
	next := map[string]int64{}
	for _, ev := range commits[0] {
		if next[ev.SessionID]++; ev.Seq != next[ev.SessionID] {
			t.Fatalf("the commit holds %v, want each session's seqs 1..%d in order", commitSessions(commits), perRunner)
		}
	}
}

// publishEvent publishes seq of session sid as runner's Publisher would.
func publishEvent(t *testing.T, js jetstream.JetStream, runner, sid string, seq int64) {
	t.Helper()
	ev := event.Event{SessionID: sid, Seq: seq, Kind: event.SessionStatus, Time: time.Now()}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(EventSubject(runner, sid))
	msg.Header.Set(HeaderPrev, strconv.FormatInt(seq-1, 10))
	rec, err := json.Marshal(store.Session{ID: sid, Agent: "fake", Cwd: "/tmp", Status: "idle"})
	if err != nil {
		t.Fatal(err)
	}
	msg.Header.Set(HeaderSession, string(rec))
	msg.Data = body
	if _, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(MsgID(runner, sid, seq))); err != nil {
		t.Fatal(err)
	}
}

// commitSessions is each commit's events as session:seq, for messages.
func commitSessions(commits [][]event.Event) [][]string {
	out := make([][]string, len(commits))
	for i, b := range commits {
		for _, ev := range b {
			out[i] = append(out[i], ev.SessionID+":"+strconv.FormatInt(ev.Seq, 10))
		}
	}
	return out
}

// A batch whose grouped commit fails for one runner's data (not the disk)
// is stored runner by runner: the other runners' messages are stored and
// acknowledged, and only the refused runner's are offered again.
func TestConsumerIsolatesARunnerWhoseEventsCannotBeStored(t *testing.T) {
	ctx := context.Background()
	js := eventsStream(t)
	for seq := int64(1); seq <= 3; seq++ {
		publishEvent(t, js, "r1", "s-r1", seq)
		publishEvent(t, js, "r2", "s-bad", seq)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable: "isolate-test", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	b, err := cons.Fetch(6, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []jetstream.Msg
	for m := range b.Messages() {
		msgs = append(msgs, m)
	}
	if len(msgs) != 6 {
		t.Fatalf("fetched %d messages, want 6", len(msgs))
	}

	// The hub's database refuses the record of session s-bad (a trigger
	// standing in for data one runner got wrong).
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TRIGGER refuse_bad BEFORE INSERT ON sessions WHEN NEW.id='s-bad'
BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if st, err = store.Open(dir, store.Options{}); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &Consumer{o: ConsumerOptions{Store: st, JS: js, Logf: t.Logf}}
	c.o.fill()
	c.commit(msgs)

	if s := c.Stats(); s.Stored != 3 || s.Failures == 0 {
		t.Fatalf("stats %+v, want r1's 3 events stored and a failure for r2's", s)
	}
	if evs, err := st.Events("s-r1", 0, 0); err != nil || len(evs) != 3 {
		t.Fatalf("s-r1 holds %d events (%v), want 3", len(evs), err)
	}
	if evs, _ := st.Events("s-bad", 0, 0); len(evs) != 0 {
		t.Fatalf("s-bad holds %d events, want none", len(evs))
	}
}

// eventsStream starts a NATS server and returns a client of it with
// CORRAL_EVENTS created.
func eventsStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(startNATS(t).connect(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureStream(context.Background(), js); err != nil {
		t.Fatal(err)
	}
	return js
}
