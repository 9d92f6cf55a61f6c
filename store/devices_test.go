package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/store"
)

func TestDevicesRoundTrip(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	d := store.Device{ID: "dev1", Name: "phone", TokenHash: bytes.Repeat([]byte{7}, 32), CreatedAt: now, LastSeen: now}
	if err := s.AddDevice(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeviceByTokenHash(ctx, d.TokenHash)
	if err != nil || got.ID != "dev1" || got.Name != "phone" || !got.CreatedAt.Equal(now) {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	later := now.Add(time.Minute)
	if err := s.TouchDevice(ctx, "dev1", later); err != nil {
		t.Fatal(err)
	}
	all, err := s.Devices(ctx)
	if err != nil || len(all) != 1 || !all[0].LastSeen.Equal(later) {
		t.Fatalf("list: %+v %v", all, err)
	}
	if err := s.DeleteDevice(ctx, "dev1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeviceByTokenHash(ctx, d.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.DeleteDevice(ctx, "dev1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}
