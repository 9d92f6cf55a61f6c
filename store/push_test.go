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

// A revoked device must stop receiving pushes: deleting it deletes its
// subscriptions and event choices, and leaves other devices' alone.
func TestDeleteDeviceDropsItsPushSubscriptions(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), store.Options{})
	now := time.Now()
	for _, id := range []string{"phone", "tablet"} {
		if err := s.AddDevice(ctx, store.Device{ID: id, Name: id, TokenHash: []byte(id), CreatedAt: now, LastSeen: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutPushSubscription(ctx, store.PushSubscription{Endpoint: "https://push.example/" + id, DeviceID: id, P256dh: "k", Auth: "a", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPushEvents(ctx, id, []string{"permission"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteDevice(ctx, "phone"); err != nil {
		t.Fatal(err)
	}
	if subs, err := s.PushSubscriptions(ctx, "phone"); err != nil || len(subs) != 0 {
		t.Fatalf("the revoked device's subscriptions = %v, %v; want none", subs, err)
	}
	if ev, err := s.PushEvents(ctx, "phone"); err != nil || len(ev) != 0 {
		t.Fatalf("the revoked device's events = %v, %v; want none", ev, err)
	}
	if subs, err := s.PushSubscriptions(ctx, "tablet"); err != nil || len(subs) != 1 {
		t.Fatalf("the other device's subscriptions = %v, %v; want one", subs, err)
	}
}
