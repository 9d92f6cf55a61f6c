package push_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/push"
	"github.com/corral-dev/corral/push/pushtest"
	"github.com/corral-dev/corral/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestKeysPersist(t *testing.T) {
	dir := t.TempDir()
	k1, err := push.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, push.KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	k2, err := push.LoadOrCreateKeys(dir)
	if err != nil || k2 != k1 {
		t.Fatalf("second load %+v %v, want the first pair", k2, err)
	}
	bad := k1
	bad.PublicKey = pushtest.NewBrowser().P256dh()
	b, _ := json.Marshal(bad)
	os.WriteFile(filepath.Join(dir, push.KeyFile), b, 0o600)
	var ke *push.KeyError
	if _, err := push.LoadOrCreateKeys(dir); !errors.As(err, &ke) {
		t.Fatalf("mismatched pair: %v, want a KeyError", err)
	}
}

func TestMessageFor(t *testing.T) {
	ev := func(kind, data string) event.Event {
		return event.Event{SessionID: "s1", Kind: kind, Data: json.RawMessage(data)}
	}
	for _, c := range []struct {
		ev          event.Event
		kind, title string
	}{
		{ev(event.PermissionRequest, `{"requestId":"r1","tool":"Bash"}`), push.KindPermission, "Approval needed"},
		{ev(event.RunExited, `{"reason":"exit"}`), push.KindDone, "Turn done"},
		{ev(event.RunExited, `{}`), push.KindDone, "Turn done"},
		{ev(event.RunExited, `{"reason":"crashed"}`), push.KindError, "Run crashed"},
		{ev(event.SessionRateLimited, `{}`), push.KindRateLimited, "Rate-limited"},
		{ev(event.SessionResumed, `{}`), push.KindResumed, "Resumed"},
		{ev(event.BudgetNotice, `{"level":"reached","scope":"session","fraction":1}`), push.KindBudget, "Budget reached"},
		{ev(event.BudgetNotice, `{"level":"warning","scope":"day","fraction":0.8}`), push.KindBudget, "Budget warning"},
		{ev(event.AssistantText, `{}`), "", ""},
		{event.Event{Kind: event.RunExited, SessionID: "s1", ProcessID: "p1"}, "", ""}, // the agent process
		{event.Event{Kind: event.PermissionRequest}, "", ""},                           // no session
	} {
		m, ok := push.MessageFor(c.ev, "proj")
		if ok != (c.kind != "") || m.Kind != c.kind || m.Title != c.title {
			t.Errorf("%s %s: %+v %v, want %s %q", c.ev.Kind, c.ev.Data, m, ok, c.kind, c.title)
		}
	}
	m, _ := push.MessageFor(ev(event.PermissionRequest, `{"requestId":"r1","tool":"Bash"}`), string(make([]rune, 500)))
	if m.RequestID != "r1" || len([]rune(m.Body)) != push.MaxText || m.Urgency() != "high" {
		t.Fatalf("%+v", m)
	}
}

// memStore keeps subscriptions in a map (the real store is tested with
// the API).
type memStore struct{ subs []store.PushSubscription }

func (m *memStore) PutPushSubscription(_ context.Context, s store.PushSubscription) error {
	m.subs = append(m.subs, s)
	return nil
}
func (m *memStore) DeletePushSubscription(context.Context, string, string) (bool, error) {
	return false, nil
}
func (m *memStore) SetPushEvents(context.Context, string, []string) error { return nil }
func (m *memStore) PushSubscriptions(context.Context, string) ([]store.PushSubscription, error) {
	return m.subs, nil
}
func (m *memStore) PushEvents(context.Context, string) ([]string, error) { return nil, nil }

// TestNotifyNeverBlocks: with the worker stuck on a push service that
// does not answer, Notify still returns at once, dropping what does not
// fit the queue; Close ends the stuck request.
func TestNotifyNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hs.Close()
	defer close(release)
	keys, err := push.LoadOrCreateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := pushtest.NewBrowser()
	ms := &memStore{}
	svc, err := push.New(push.Options{Keys: keys, Store: ms, QueueSize: 2, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var sub push.Subscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = hs.URL+"/x", b.P256dh(), b.Auth()
	if _, err := svc.Subscribe(context.Background(), "host", sub, nil); err != nil {
		t.Fatal(err)
	}
	ev := event.Event{SessionID: "s1", Kind: event.PermissionRequest, Data: json.RawMessage(`{"requestId":"r"}`)}
	queued := 0
	for i := 0; i < 10; i++ {
		if svc.Notify(context.Background(), ev) {
			queued++
		}
	}
	// One in flight (maybe), two waiting: the rest dropped.
	if queued < 2 || queued > 3 {
		t.Fatalf("%d of 10 queued with a queue of 2", queued)
	}
	svc.Close()
}
