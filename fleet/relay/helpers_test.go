package relay

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// natsServer is an embedded NATS server with JetStream that can be shut
// down and started again on the same port and store directory.
type natsServer struct {
	t    testing.TB
	dir  string
	port int
	srv  *server.Server
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	n := &natsServer{t: t, dir: t.TempDir(), port: port}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *natsServer) start() {
	n.t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: n.port, JetStream: true,
		StoreDir: n.dir, NoLog: true, NoSigs: true})
	if err != nil {
		n.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		n.t.Fatal("nats server not ready")
	}
	n.srv = srv
}

func (n *natsServer) stop() {
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		n.srv = nil
	}
}

func (n *natsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(n.port) }

// connect dials the server and reconnects forever, as a runner does.
func (n *natsServer) connect(t testing.TB) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(n.url(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.ReconnectJitter(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// side is one corral's store and bus (a runner or the hub).
type side struct {
	st *store.Store
	b  *bus.Bus
}

func openSide(t testing.TB) *side { return openSideHook(t, nil) }

// openSideHook is openSide with a hook called with each committed batch,
// from the store's writer, just before the bus gets it.
func openSideHook(t testing.TB, hook func([]event.Event)) *side {
	t.Helper()
	s := &side{}
	st, err := store.Open(t.TempDir(), store.Options{Publish: func(batch []event.Event) {
		if hook != nil {
			hook(batch)
		}
		s.b.Publish(batch)
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.st = st
	s.b = bus.New(st, bus.Options{})
	t.Cleanup(func() {
		s.b.Close()
		st.Close()
	})
	return s
}

// createSessions makes n session records in the runner's store.
func createSessions(t testing.TB, st *store.Store, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("s%02d", i)
		if _, err := st.CreateSession(context.Background(), store.Session{ID: ids[i], Agent: "fake", Cwd: "/tmp", Status: "idle"}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// flood appends total events, streamed text deltas of an agent, in runs
// of 50 per session round-robin over the sessions, in batches, calling
// between(k) after each batch with the number appended so far.
func flood(t testing.TB, st *store.Store, ids []string, total int, between func(k int)) {
	t.Helper()
	const batch = 500
	data := []byte(`{"text":"a delta of agent output of a realistic length, about eighty bytes","delta":true}`)
	for k := 0; k < total; {
		evs := make([]event.Event, 0, batch)
		for j := 0; j < batch && k < total; j, k = j+1, k+1 {
			evs = append(evs, event.Event{SessionID: ids[(k/50)%len(ids)], Kind: event.AssistantText, Data: data})
		}
		if err := st.Append(evs...); err != nil {
			t.Fatal(err)
		}
		if between != nil {
			between(k)
		}
	}
	if err := st.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// startHub starts a Consumer on the hub's store.
func startHub(t testing.TB, js jetstream.JetStream, hub *side, logf func(string, ...any)) *Consumer {
	t.Helper()
	c, err := StartConsumer(context.Background(), ConsumerOptions{Store: hub.st, JS: js, AckWait: 2 * time.Second, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startPublisher(t testing.TB, nc *nats.Conn, runner *side, logf func(string, ...any)) *Publisher {
	t.Helper()
	p, err := StartPublisher(PublisherOptions{Name: "r1", Store: runner.st, Conn: nc, Bus: runner.b,
		AckTimeout: 2 * time.Second, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// hubCount is the number of events of the sessions in the hub's store.
func hubCount(t testing.TB, st *store.Store, ids []string) int64 {
	var n int64
	for _, id := range ids {
		s, err := st.StreamStats(id)
		if err == nil {
			n += s.Events
		}
	}
	return n
}

// waitCount waits (generously) until the hub holds want events.
func waitCount(t testing.TB, st *store.Store, ids []string, want int64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if hubCount(t, st, ids) >= want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("hub holds %d events, want %d", hubCount(t, st, ids), want)
}

// checkReplica checks that the hub holds, for every session, exactly the
// runner's events: the same seqs 1..n with no gap and no duplicate, the
// same kinds and data, and the session record with its runner.
func checkReplica(t testing.TB, runner, hub *store.Store, ids []string) {
	t.Helper()
	for _, id := range ids {
		want, got := allEvents(t, runner, id), allEvents(t, hub, id)
		if len(got) != len(want) {
			t.Fatalf("session %s: hub has %d events, runner %d", id, len(got), len(want))
		}
		for i := range got {
			if got[i].Seq != int64(i+1) || got[i].Seq != want[i].Seq || got[i].Kind != want[i].Kind ||
				string(got[i].Data) != string(want[i].Data) || !got[i].Time.Equal(want[i].Time) {
				t.Fatalf("session %s: event %d: hub seq %d %s, runner seq %d %s", id, i, got[i].Seq, got[i].Kind, want[i].Seq, want[i].Kind)
			}
		}
		rec, err := hub.GetSession(id)
		if err != nil {
			t.Fatalf("session %s: no record on the hub: %v", id, err)
		}
		if rec.Runner != "r1" || rec.Agent != "fake" {
			t.Fatalf("session %s: hub record %+v", id, rec)
		}
	}
}

func allEvents(t testing.TB, st *store.Store, id string) []event.Event {
	t.Helper()
	var out []event.Event
	for ev, err := range st.Iter(context.Background(), id, 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// logSink collects log lines for a failing test.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) < 200 {
		l.lines = append(l.lines, fmt.Sprintf(format, args...))
	}
}

func (l *logSink) dump(t testing.TB) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		t.Log(s)
	}
}
