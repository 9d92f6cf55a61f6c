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
// commits fail: OnError hears about the first failure of an outage only
// (the report gap is longer than the test), not about each failed commit,
// and again about the first failure of the next outage. A commit that
// still fits on the full disk (SQLite reuses the WAL file's space after a
// checkpoint) ends an outage, so the test counts outages as the commits
// see them: a failure after a success starts one.
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
	outages, lastOK := 0, true
	commit := func() error {
		t.Helper()
		if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
			t.Fatal(err)
		}
		err := s.Sync(ctx)
		if err != nil && lastOK {
			outages++
		}
		lastOK = err == nil
		return err
	}
	fill := func() {
		t.Helper()
		for i := 0; i < 200000 && !errors.Is(s.Health(), store.ErrDiskFull); i++ {
			_ = commit() // Health says what happened
		}
		if !errors.Is(s.Health(), store.ErrDiskFull) {
			t.Fatalf("the disk never filled: %v", s.Health())
		}
		failed := 0
		for i := 0; i < 1000 && failed < 20; i++ {
			err := commit()
			if err != nil && !errors.Is(err, store.ErrDiskFull) {
				t.Fatalf("commit on a full disk: %v", err)
			}
			if err != nil {
				failed++
			}
		}
		if failed < 20 {
			t.Fatalf("only %d of 1000 commits failed on a full disk", failed)
		}
	}
	fill()
	if n := count(); n != outages {
		t.Fatalf("OnError called %d times in %d outages of 21 or more failed commits: %v", n, outages, reports)
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
	lastOK = true
	before := outages
	fill() // the megabyte freed fills up again
	if outages == before {
		t.Fatal("the second outage was not seen")
	}
	if n := count(); n != outages {
		t.Fatalf("OnError called %d times over %d outages: %v", n, outages, reports)
	}
}
