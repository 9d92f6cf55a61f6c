package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor polls cond with a generous deadline (a bound on a wait, not an
// assertion on speed).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startTestHub(t *testing.T) *Hub {
	t.Helper()
	h, err := StartHub(context.Background(), HubOptions{DataDir: t.TempDir(), Addr: "127.0.0.1:0", HeartbeatTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func addRunner(t *testing.T, h *Hub, name string) string {
	t.Helper()
	creds, err := h.Keyring.AddRunner(name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".creds")
	if err := os.WriteFile(p, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runnerByName(h *Hub, name string) (Runner, bool) {
	for _, r := range h.Runners() {
		if r.Name == name {
			return r, true
		}
	}
	return Runner{}, false
}

func TestKeyringFiles(t *testing.T) {
	dir := t.TempDir()
	k, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.AddRunner("Bad.Name"); err == nil {
		t.Fatal("an invalid name was accepted")
	}
	creds, err := k.AddRunner("box")
	if err != nil {
		t.Fatal(err)
	}
	if name, err := CredsName(creds); err != nil || name != "box" || !strings.Contains(string(creds), "NKEY SEED") {
		t.Fatalf("creds name %q %v:\n%s", name, err, creds)
	}
	if _, err := k.AddRunner("box"); !errors.Is(err, ErrRunnerExists) {
		t.Fatalf("second add: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, _ := e.Info()
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", e.Name(), fi.Mode())
		}
	}
	// Another process's keyring sees the runner and removes it.
	k2, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l := k2.Runners(); len(l) != 1 || l[0].Name != "box" {
		t.Fatalf("runners %+v", l)
	}
	if _, err := k2.RemoveRunner("box"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.RemoveRunner("box"); !errors.Is(err, ErrNoSuchRunner) {
		t.Fatalf("removing again: %v", err)
	}
}

func TestRunnerHeartbeatsAndRemoval(t *testing.T) {
	h := startTestHub(t)
	credsA := addRunner(t, h, "a")
	r, err := ConnectRunner(RunnerOptions{URL: h.URL(), CredsFile: credsA, Interval: 50 * time.Millisecond,
		Status: func() Heartbeat { return Heartbeat{Agents: []string{"claude"}, Sessions: 2, Version: "test"} }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	waitFor(t, "runner a online", func() bool {
		x, ok := runnerByName(h, "a")
		return ok && x.Status == StatusOnline && slices.Equal(x.Agents, []string{"claude"}) && x.Sessions == 2
	})
	if got, err := h.Place("claude", ""); err != nil || got != "a" {
		t.Fatalf("Place: %q %v", got, err)
	}

	if err := RemoveRunner(context.Background(), h.Keyring, "a", h.URL()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the removed runner is still connected")
	}
	if !errors.Is(r.Err(), ErrCredentialsRefused) {
		t.Fatalf("Err %v", r.Err())
	}
	waitFor(t, "runner a forgotten", func() bool { _, ok := runnerByName(h, "a"); return !ok })
	if nc, err := nats.Connect(h.URL(), nats.UserCredentials(credsA)); err == nil {
		nc.Close()
		t.Fatal("revoked credentials connected again")
	}
}

func TestRunnerLostAndBack(t *testing.T) {
	h := startTestHub(t)
	creds := addRunner(t, h, "a")
	connect := func() *RunnerConn {
		r, err := ConnectRunner(RunnerOptions{URL: h.URL(), CredsFile: creds, Interval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := connect()
	status := func(want Status) func() bool {
		return func() bool { x, ok := runnerByName(h, "a"); return ok && x.Status == want }
	}
	waitFor(t, "online", status(StatusOnline))
	r.Close()
	waitFor(t, "lost", status(StatusLost))
	if _, err := h.Place("", "a"); !isCode(err, CodeRunnerOffline) {
		t.Fatalf("Place on a lost runner: %v", err)
	}
	r = connect()
	defer r.Close()
	waitFor(t, "online again", status(StatusOnline))
}

func isCode(err error, code string) bool {
	var pe *PlacementError
	return errors.As(err, &pe) && pe.Code == code
}

// asyncErrors collects a connection's asynchronous errors (permission
// violations come that way).
type asyncErrors struct {
	mu   sync.Mutex
	errs []string
}

func (a *asyncErrors) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, strings.ToLower(err.Error()))
}

func (a *asyncErrors) has(s string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.errs {
		if strings.Contains(e, "permissions violation") && strings.Contains(e, strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func TestRunnerPermissionIsolation(t *testing.T) {
	h := startTestHub(t)
	credsA := addRunner(t, h, "a")
	addRunner(t, h, "b")
	var errs asyncErrors
	a, err := nats.Connect(h.URL(), nats.UserCredentials(credsA), nats.CustomInboxPrefix(InboxPrefix("a")), nats.ErrorHandler(errs.handler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	// Its own subjects work both ways: the hub's request is answered.
	own, err := a.Subscribe(RPCSubject("a", "Ping"), func(m *nats.Msg) { m.Respond([]byte(`{"result":"pong"}`)) })
	if err != nil {
		t.Fatal(err)
	}
	defer own.Unsubscribe()
	a.Flush()
	if m, err := h.Conn().Request(RPCSubject("a", "Ping"), []byte(`{}`), 10*time.Second); err != nil || string(m.Data) != `{"result":"pong"}` {
		t.Fatalf("request to a: %v %v", m, err)
	}

	// It can publish its own events to the CORRAL_EVENTS stream and hear the ack.
	ctx := context.Background()
	if _, err := h.JetStream().CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: EventsStream, Subjects: []string{"corral.events.>"}}); err != nil {
		t.Fatal(err)
	}
	ajs, err := jetstream.New(a)
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := ajs.Publish(ctx, EventSubject("a", "s1"), []byte(`{}`), jetstream.WithMsgID("a:s1:1")); err != nil || ack.Stream != EventsStream {
		t.Fatalf("a's event: %+v %v", ack, err)
	}
	if ack, err := ajs.Publish(ctx, EventSubject("a", "s1"), []byte(`{}`), jetstream.WithMsgID("a:s1:1")); err != nil || !ack.Duplicate {
		t.Fatalf("a's event again: %+v %v", ack, err)
	}

	// B's subjects: no subscription is allowed, nothing arrives.
	got := make(chan *nats.Msg, 10)
	for _, subj := range []string{"corral.fleet.b.rpc.>", "corral.events.b.>", "corral.fleet.b.hb", InboxPrefix("b") + ".>", "corral.>", ">"} {
		if _, err := a.ChanSubscribe(subj, got); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a's subscription to "+subj+" refused", func() bool { return errs.has(subj) })
	}
	if err := h.Conn().Publish(RPCSubject("b", "Ping"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := h.Conn().Publish(EventSubject("b", "s1"), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	h.Conn().Flush()

	// Publishing as B is refused and never reaches the hub.
	for _, subj := range []string{HeartbeatSubject("b"), EventSubject("b", "s1"), RPCSubject("b", "Ping")} {
		if err := a.Publish(subj, []byte(`{"name":"b","agents":["claude"]}`)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a's publish to "+subj+" refused", func() bool { return errs.has(subj) })
	}
	// A round trip after the refusals: anything delivered would be here.
	if _, err := h.Conn().Request(RPCSubject("a", "Ping"), []byte(`{}`), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		t.Fatalf("runner a received %s", m.Subject)
	default:
	}
	if _, ok := runnerByName(h, "b"); ok {
		t.Fatal("a heartbeat published by a as b reached the registry")
	}
}

// TestHubPrunesRemovedRunners: a runner removed while no hub ran leaves
// the registry when the hub starts.
func TestHubPrunesRemovedRunners(t *testing.T) {
	data := t.TempDir()
	start := func() *Hub {
		h, err := StartHub(context.Background(), HubOptions{DataDir: data, Addr: "127.0.0.1:0", HeartbeatTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := start()
	creds := addRunner(t, h, "old")
	addRunner(t, h, "kept")
	for _, name := range []string{"old", "kept"} {
		b, _ := json.Marshal(Heartbeat{Name: name})
		if _, err := h.kv.Put(context.Background(), name, b); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "both runners known", func() bool { return len(h.Runners()) == 2 })
	h.Close()
	if err := RemoveRunner(context.Background(), h.Keyring, "old", ""); err != nil {
		t.Fatal(err)
	}
	h = start()
	defer h.Close()
	waitFor(t, "only the kept runner", func() bool { l := h.Runners(); return len(l) == 1 && l[0].Name == "kept" })
	// and the revocation applies to the restarted server
	if nc, err := nats.Connect(h.URL(), nats.UserCredentials(creds)); err == nil {
		nc.Close()
		t.Fatal("credentials removed while no hub ran still connect")
	}
}
