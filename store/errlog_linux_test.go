package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// TestOnErrorOncePerOutage fills the disk and then makes twenty more
// commits fail: OnError hears about the first failure of the outage only
// (the report gap is longer than the test), not about each failed commit,
// and again about the first failure of the next outage.
func TestOnErrorOncePerOutage(t *testing.T) {
	defer store.SetErrorReportGap(store.SetErrorReportGap(time.Hour))
	dir := smallFS(t, "4m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reports []error
	s := open(t, dir, store.Options{OnError: func(err error) {
		mu.Lock()
		reports = append(reports, err)
		mu.Unlock()
	}})
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(reports)
	}
	raw := json.RawMessage(`{"pad":"` + string(bytes.Repeat([]byte("y"), 4000)) + `"}`)
	fill := func() {
		t.Helper()
		for i := 0; i < 10000 && !errors.Is(s.Health(), store.ErrDiskFull); i++ {
			for j := 0; j < 20; j++ {
				if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
					t.Fatal(err)
				}
			}
			s.Sync(ctx) //nolint:errcheck // Health says what happened
		}
		if !errors.Is(s.Health(), store.ErrDiskFull) {
			t.Fatalf("the disk never filled: %v", s.Health())
		}
		for i := 0; i < 20; i++ {
			if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(ctx); !errors.Is(err, store.ErrDiskFull) {
				t.Fatalf("commit %d on a full disk: %v", i, err)
			}
		}
	}
	fill()
	if n := count(); n != 1 {
		t.Fatalf("OnError called %d times in one outage of 21 or more failed commits, want 1: %v", n, reports)
	}
	if !errors.Is(reports[0], store.ErrDiskFull) {
		t.Fatalf("first report %v", reports[0])
	}
	// The disk takes writes again: the outage is over.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	fill() // the megabyte freed fills up again
	if n := count(); n != 2 {
		t.Fatalf("OnError called %d times over two outages, want 2: %v", n, reports)
	}
}
