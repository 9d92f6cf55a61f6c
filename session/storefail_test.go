package session

import (
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/store"
)

func TestTurnStoreOutcome(t *testing.T) {
	cases := []struct {
		name         string
		st           Status
		before, now  int64
		code         string
		want         Status
		wantReason   string // prefix
		wantOverride bool
	}{
		{"nothing lost keeps idle", Idle, 5, 5, store.CodeStorageFull, Idle, "done", false},
		{"nothing lost keeps error", Error, 0, 0, "", Error, "done", false},
		{"lost output turns a finished turn into an error", Idle, 5, 9, store.CodeStorageFull, Error, "storage_full: 4 events", true},
		{"lost output of an interrupted turn", Interrupted, 0, 1, store.CodeStoreFailed, Error, "store_failed: 1 events", true},
		{"an unknown cause is store_failed", Idle, 0, 2, "", Error, "store_failed: 2 events", true},
	}
	for _, c := range cases {
		st, why, over := turnStoreOutcome(c.st, "done", c.before, c.now, c.code)
		if st != c.want || over != c.wantOverride || !strings.HasPrefix(why, c.wantReason) {
			t.Errorf("%s: got %s %q %v", c.name, st, why, over)
		}
	}
}

func TestChargeSettled(t *testing.T) {
	cases := []struct {
		name                     string
		seen, atStart, lost      int64
		running                  bool
		extra, newSeen, atStart2 int64
	}{
		{"nothing more lost", 3, 3, 3, true, 0, 3, 3},
		{"the tail lost, no turn running", 3, 3, 5, false, 2, 5, 3},
		{"the tail lost while the next turn runs", 3, 3, 5, true, 2, 5, 5},
		{"the next turn started after the loss counted", 3, 5, 5, true, 2, 5, 5},
		{"an older count arrives late", 7, 7, 5, true, 0, 7, 7},
	}
	for _, c := range cases {
		extra, seen, at := chargeSettled(c.seen, c.atStart, c.lost, c.running)
		if extra != c.extra || seen != c.newSeen || at != c.atStart2 {
			t.Errorf("%s: got %d %d %d, want %d %d %d", c.name, extra, seen, at, c.extra, c.newSeen, c.atStart2)
		}
	}
}

func TestKeptByStore(t *testing.T) {
	if !keptByStore(&store.Unavailable{Op: "x", Kind: store.ErrDiskFull, Err: errors.New("full"), Kept: true}) {
		t.Error("a kept write not recognised")
	}
	if keptByStore(&store.Unavailable{Op: "x", Kind: store.ErrDiskFull, Err: errors.New("full")}) || keptByStore(nil) || keptByStore(store.ErrNotFound) {
		t.Error("a dropped write or another error taken for kept")
	}
}
