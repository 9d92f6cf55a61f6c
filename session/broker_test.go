package session

import (
	"reflect"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

func TestBrokerLifecycle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBroker(time.Minute)
	rec := b.ask("s-1", "r-1", "q1", "Bash", []byte(`{"command":"ls"}`), t0)
	want := store.PermissionRequest{ID: "s-1/q1", SessionID: "s-1", RunID: "r-1", Tool: "Bash", Input: []byte(`{"command":"ls"}`),
		CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	if !reflect.DeepEqual(rec, want) {
		t.Fatalf("record %+v", rec)
	}
	b.ask("s-1", "r-1", "q2", "Edit", nil, t0.Add(30*time.Second))
	if b.len() != 2 {
		t.Fatal(b.len())
	}
	// The clock decides what is overdue, oldest deadline first.
	if d := b.due(t0.Add(59 * time.Second)); d != nil {
		t.Fatalf("due early: %v", d)
	}
	if d := b.due(t0.Add(time.Minute)); !reflect.DeepEqual(d, []string{"q1"}) {
		t.Fatalf("due: %v", d)
	}
	if d := b.due(t0.Add(2 * time.Minute)); !reflect.DeepEqual(d, []string{"q1", "q2"}) {
		t.Fatalf("due: %v", d)
	}
	// The first decision wins.
	p, ok := b.take("q1")
	if !ok || p.StoreID != "s-1/q1" || p.RunID != "r-1" {
		t.Fatalf("take %+v %v", p, ok)
	}
	if _, ok := b.take("q1"); ok {
		t.Fatal("a second answer found the request")
	}
	if _, _, ok := b.expire("q1"); ok {
		t.Fatal("an answered request expired")
	}
	p, d, ok := b.expire("q2")
	if !ok || p.StoreID != "s-1/q2" || d.Decision != store.PermissionExpired || d.By != "corral" || d.Message != "no answer within 1m0s" {
		t.Fatalf("expire %+v %+v %v", p, d, ok)
	}
	if b.len() != 0 {
		t.Fatal(b.len())
	}
}

func TestBrokerNoTimeoutAndDrain(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := newBroker(-1)
	if rec := b.ask("s", "r", "b", "T", nil, t0); !rec.ExpiresAt.IsZero() {
		t.Fatalf("expiry without timeout: %v", rec.ExpiresAt)
	}
	b.ask("s", "r", "a", "T", nil, t0)
	if d := b.due(t0.Add(1000 * time.Hour)); d != nil {
		t.Fatalf("due without timeout: %v", d)
	}
	got := b.drain()
	if len(got) != 2 || got[0].RID != "a" || got[1].RID != "b" || got[1].StoreID != "s/b" || b.len() != 0 {
		t.Fatalf("drain %+v", got)
	}
	var zero broker
	zero.ask("s", "r", "x", "T", nil, t0) // a zero broker works
	if zero.len() != 1 {
		t.Fatal(zero.len())
	}
}
