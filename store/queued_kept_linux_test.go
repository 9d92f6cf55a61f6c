package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// A session's queued record writes are not dropped when the disk is full:
// a run, a permission request, its decision and the usage queued during
// the outage are all in the store once the disk takes writes again (a run
// lost this way would never end; a lost request could never be resolved).
func TestQueuedWritesSurviveAFullDisk(t *testing.T) {
	defer store.SetLossRetry(store.SetLossRetry(20 * time.Millisecond))
	dir := smallFS(t, "4m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, store.Options{})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	raw := json.RawMessage(`{"pad":"` + string(bytes.Repeat([]byte("y"), 4000)) + `"}`)
	for i := 0; i < 10000 && !errors.Is(s.Health(), store.ErrDiskFull); i++ {
		for j := 0; j < 20; j++ {
			if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
				t.Fatal(err)
			}
		}
		_ = s.Sync(ctx) // Health says what happened
	}
	rest, err := os.OpenFile(filepath.Join(dir, "rest"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := rest.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	rest.Close()

	for _, err := range []error{
		s.QueueCreateRun(store.Run{ID: "r", SessionID: "s"}),
		s.QueueAddPermissionRequest(store.PermissionRequest{ID: "p", SessionID: "s", RunID: "r", Tool: "Bash"}),
		s.QueueResolvePermission("p", store.Decision{Decision: store.PermissionAllow, By: "u"}),
		s.QueueAddUsage("s", store.Usage{InputTokens: 7, CostUSD: 0.5}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Sync(ctx) // fails: the disk is full

	if err := os.Remove(filepath.Join(dir, "rest")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for s.Health() != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("sync after the disk freed up: %v", err)
	}
	if _, err := s.GetRun("r"); err != nil {
		t.Errorf("queued run lost: %v", err)
	}
	x, err := s.GetSession("s")
	if err != nil || x.Usage.InputTokens != 7 {
		t.Errorf("queued usage lost: %+v %v", x.Usage, err)
	}
	if p, err := s.GetPermission("p"); err != nil || p.Status != store.PermissionAllow {
		t.Errorf("queued permission request or its decision lost: %+v %v", p, err)
	}
}
