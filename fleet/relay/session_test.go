package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// openRuntime opens a corral runtime (store, bus, manager) with the fake
// agent as "fake", run by this test binary (TestMain).
func openRuntime(t *testing.T) *session.Runtime {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf("[agents.fake]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\" }\n",
		exe, fakeagent.EnvVar)), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	o := session.RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	rt, err := session.OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := rt.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return rt
}

// hubCall calls a method of the hub's facade as POST /api/call/METHOD does.
func hubCall(t *testing.T, table map[string]*api.Method, method string, params, out any) error {
	t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	res, err := table[method].Call(context.Background(), b)
	if err != nil || out == nil {
		return err
	}
	rb, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return json.Unmarshal(rb, out)
}

// until reads the hub's bus until match, returning what it read.
func until(t *testing.T, sub *bus.Subscription, match func(event.Event) bool) []event.Event {
	t.Helper()
	var out []event.Event
	timeout := time.After(time.Minute)
	for {
		select {
		case batch, ok := <-sub.C:
			if !ok {
				t.Fatalf("hub bus subscription ended: %v", sub.Err())
			}
			for _, ev := range batch {
				out = append(out, ev)
				if match(ev) {
					return out
				}
			}
		case <-timeout:
			t.Fatalf("no matching event on the hub's bus within a minute; got %d events", len(out))
		}
	}
}

// TestSessionDrivenFromTheHub runs a fake-agent session on the runner and
// drives it only through the hub's facade: the message and the approval go
// to the runner through the Client, the events come back into the hub's
// store and bus.
func TestSessionDrivenFromTheHub(t *testing.T) {
	ns := startNATS(t)
	runner, hub := openRuntime(t), openRuntime(t)

	hubNC := ns.connect(t)
	js, err := jetstream.New(hubNC)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := StartConsumer(context.Background(), ConsumerOptions{Store: hub.Store, JS: js})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	runnerNC := ns.connect(t)
	pub, err := StartPublisher(PublisherOptions{Name: "r1", Store: runner.Store, Conn: runnerNC, Bus: runner.Bus})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	rpc, err := ServeRPC(runnerNC, "r1", api.New(runner.Manager, nil), RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rpc.Close()

	client := NewClient(hubNC, 10*time.Second)
	hubAPI := api.New(hub.Manager, nil, api.WithRouter(HubRouter{Store: hub.Store, Client: client}))
	table := map[string]*api.Method{}
	for _, m := range api.Methods(hubAPI) {
		table[m.Name] = m
	}
	sub, err := hub.Bus.Subscribe(context.Background(), 0, bus.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	// The hub places the session on the runner (what the fleet's placement
	// does), then knows it from its replica.
	raw, err := client.Call(context.Background(), "r1", "CreateSession",
		[]byte(fmt.Sprintf(`{"agent":"fake","cwd":%q,"isolation":"none"}`, t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	var info session.Info
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		r, err := hub.Store.SessionRunner(info.ID)
		return err == nil && r == "r1"
	})

	var sent api.SendMessageResult
	if err := hubCall(t, table, "SendMessage", map[string]any{"sessionId": info.ID, "text": "tool:make"}, &sent); err != nil {
		t.Fatal(err)
	}
	evs := until(t, sub, func(ev event.Event) bool { return ev.Kind == event.PermissionRequest && ev.SessionID == info.ID })
	var pr agent.PermissionRequestData
	if err := json.Unmarshal(evs[len(evs)-1].Data, &pr); err != nil {
		t.Fatal(err)
	}
	// The approval, answered from the hub, reaches the waiting runner.
	if err := hubCall(t, table, "RespondPermission", map[string]any{"sessionId": info.ID, "requestId": pr.RequestID, "allow": true}, nil); err != nil {
		t.Fatal(err)
	}
	evs = until(t, sub, func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == sent.RunID })
	var result agent.ToolResultData
	for _, ev := range evs {
		if ev.Kind == event.ToolResult {
			json.Unmarshal(ev.Data, &result)
		}
	}
	if result.Output != "ran: make" || result.IsError {
		t.Fatalf("tool result %+v", result)
	}

	// The hub's replica holds the runner's log, seq for seq.
	waitFor(t, func() bool {
		a, _ := runner.Store.StreamStats(info.ID)
		b, _ := hub.Store.StreamStats(info.ID)
		return a.LastSeq > 0 && a.LastSeq == b.LastSeq
	})
	checkSameLog(t, runner, hub, info.ID)

	// The hub's list has the session; GetSession goes to the runner.
	var list []session.Info
	if err := hubCall(t, table, "ListSessions", struct{}{}, &list); err != nil || len(list) != 1 || list[0].ID != info.ID {
		t.Fatalf("hub list %+v %v", list, err)
	}
	var got session.Info
	if err := hubCall(t, table, "GetSession", map[string]any{"sessionId": info.ID}, &got); err != nil || got.ID != info.ID {
		t.Fatalf("GetSession %+v %v", got, err)
	}

	// A runner's error keeps its code through the relay.
	err = hubCall(t, table, "SendMessage", map[string]any{"sessionId": info.ID, "text": "x", "bogus": 1}, nil)
	if ae := api.AsError(err); ae == nil || ae.Code != api.CodeInvalidArgument {
		t.Fatalf("bad parameters through the relay: %v", err)
	}
	err = hubCall(t, table, "RespondPermission", map[string]any{"sessionId": info.ID, "requestId": "nope", "allow": true}, nil)
	if ae := api.AsError(err); ae == nil || ae.Code != api.CodeNotFound {
		t.Fatalf("unknown permission request through the relay: %v", err)
	}

	// Deleting from the hub deletes on the runner and the hub's replica.
	if err := hubCall(t, table, "DeleteSession", map[string]any{"sessionId": info.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Store.GetSession(info.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("runner still has the session: %v", err)
	}
	if _, err := hub.Store.GetSession(info.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("hub still has the replica: %v", err)
	}

	// With the runner gone, its sessions' methods say so.
	if _, err := client.Call(context.Background(), "r1", "CreateSession",
		[]byte(fmt.Sprintf(`{"agent":"fake","cwd":%q,"isolation":"none"}`, t.TempDir()))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		l, _ := hub.Store.ListSessions(0)
		if len(l) == 1 {
			info.ID = l[0].ID
		}
		return len(l) == 1
	})
	rpc.Close()
	err = hubCall(t, table, "Interrupt", map[string]any{"sessionId": info.ID}, nil)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeRunnerOffline {
		t.Fatalf("offline runner: %v", err)
	}
}

func checkSameLog(t *testing.T, runner, hub *session.Runtime, id string) {
	t.Helper()
	a, b := allEvents(t, runner.Store, id), allEvents(t, hub.Store, id)
	if len(a) != len(b) {
		t.Fatalf("runner has %d events, hub %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Seq != b[i].Seq || a[i].Kind != b[i].Kind || string(a[i].Data) != string(b[i].Data) {
			t.Fatalf("event %d differs: runner %d %s, hub %d %s", i, a[i].Seq, a[i].Kind, b[i].Seq, b[i].Kind)
		}
	}
}

func TestClientErrors(t *testing.T) {
	ns := startNATS(t)
	nc := ns.connect(t)
	rt := openRuntime(t)
	rpc, err := ServeRPC(nc, "r2", api.New(rt.Manager, nil), RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rpc.Close()
	c := NewClient(ns.connect(t), 5*time.Second)
	for _, tc := range []struct {
		runner, method, params, code string
	}{
		{"r2", "GetSession", `{"sessionId":"nope"}`, api.CodeNotFound},
		{"r2", "SendMessage", `{}`, api.CodeInvalidArgument},
		{"r2", "NoSuchMethod", `{}`, api.CodeNotFound},
		{"r3", "GetSession", `{"sessionId":"x"}`, api.CodeRunnerOffline},
	} {
		_, err := c.Call(context.Background(), tc.runner, tc.method, []byte(tc.params))
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != tc.code {
			t.Errorf("%s %s: %v, want code %s", tc.runner, tc.method, err, tc.code)
		}
	}
	// A result comes back as the method's JSON.
	raw, err := c.Call(context.Background(), "r2", "ListSessions", nil)
	if err != nil || string(raw) != "[]" {
		t.Fatalf("ListSessions: %s %v", raw, err)
	}
}
