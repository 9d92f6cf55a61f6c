package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

// TestPushSubscriptions: subscriptions per device, a device's choice of
// events joined to its rows, deletion scoped to the owner, and all of it
// kept across a reopen.
func TestPushSubscriptions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	at := time.Unix(1_800_000_000, 0).UTC()
	for i, dev := range []string{"host", "phone", "host"} {
		sub := store.PushSubscription{Endpoint: fmt.Sprintf("https://p/%d", i), DeviceID: dev, P256dh: "k", Auth: "a", CreatedAt: at.Add(time.Duration(i) * time.Second)}
		if err := s.PutPushSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetPushEvents(ctx, "phone", []string{"permission"}); err != nil {
		t.Fatal(err)
	}
	if removed, err := s.DeletePushSubscription(ctx, "https://p/1", "host"); err != nil || removed {
		t.Fatalf("another device's subscription removed: %v %v", removed, err)
	}
	s.Close()
	s = open(t, dir, store.Options{})
	defer s.Close()
	all, err := s.PushSubscriptions(ctx, "")
	if err != nil || len(all) != 3 {
		t.Fatalf("%+v %v", all, err)
	}
	if all[0].Endpoint != "https://p/0" || all[0].Events != nil || !all[0].CreatedAt.Equal(at) || fmt.Sprint(all[1].Events) != "[permission]" {
		t.Fatalf("rows %+v", all)
	}
	host, _ := s.PushSubscriptions(ctx, "host")
	if len(host) != 2 || host[1].Endpoint != "https://p/2" {
		t.Fatalf("host's %+v", host)
	}
	if removed, err := s.DeletePushSubscription(ctx, "https://p/1", ""); err != nil || !removed {
		t.Fatalf("remove by endpoint: %v %v", removed, err)
	}
	if ev, err := s.PushEvents(ctx, "host"); ev != nil || err != nil {
		t.Fatalf("host never chose: %v %v", ev, err)
	}
	if err := s.SetPushEvents(ctx, "host", []string{}); err != nil {
		t.Fatal(err)
	}
	if ev, _ := s.PushEvents(ctx, "host"); ev == nil || len(ev) != 0 {
		t.Fatalf("host chose none: %#v", ev)
	}
}
