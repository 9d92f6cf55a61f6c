package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

// walSize returns the size of the store's -wal file (0 when absent).
func walSize(t *testing.T, s *Store) int64 {
	fi, err := os.Stat(s.path + "-wal")
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Error(err)
		return 0
	}
	return fi.Size()
}

// TestWALBoundedUnderConcurrentReaders floods a store while readers page
// through the flooded session the way the API does while a session
// streams (tail pages, forward pages, replay by cursor), each read on its
// own snapshot and the readers overlapping all the time. SQLite can start
// the WAL over only when no reader is still reading frames of it, which
// overlapping readers never allow by themselves: the WAL grew for as
// long as the flood lasted. It must stay within MaxWALBytes plus one
// transaction at every moment (a sampler watches the file beside the
// appends), and shrink to nothing once the store has been quiet for
// WALQuietPeriod.
func TestWALBoundedUnderConcurrentReaders(t *testing.T) {
	const limit = 8 << 20
	const batch = 256
	dir := t.TempDir()
	s, err := Open(dir, Options{MaxBatch: batch, QueueLimit: 2 * batch, MaxWALBytes: limit, WALQuietPeriod: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw := json.RawMessage(`"` + string(bytes.Repeat([]byte("x"), 1000)) + `"`)
	evs := make([]event.Event, 500)
	for i := range evs {
		evs[i] = event.Event{SessionID: "flood", Kind: event.Stdout, Raw: raw}
	}
	// Seed the session so that the readers have pages to read at once.
	if _, err := s.AppendWait(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}

	var largest atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	reader := func(read func(i int) error) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := read(i); err != nil {
				t.Error(err)
				return
			}
			reads.Add(1)
		}
	}
	wg.Add(5)
	go reader(func(int) error { _, err := s.EventsBefore("flood", 0, 500); return err })
	go reader(func(i int) error { _, err := s.Events("flood", int64(i%50)*500, 500); return err })
	go reader(func(i int) error {
		_, err := s.EventsAfter(context.Background(), int64(i%50)*500, "flood", false, 500)
		return err
	})
	go reader(func(i int) error { _, err := s.EventsBefore("flood", int64(i%50)*500+1, 500); return err })
	go func() { // the sampler
		defer wg.Done()
		for {
			largest.Store(max(largest.Load(), walSize(t, s)))
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	// 48 MB: six times the bound.
	for i := 0; i < 96; i++ {
		if err := s.Append(evs...); err != nil {
			t.Fatal(err)
		}
		largest.Store(max(largest.Load(), walSize(t, s)))
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	largest.Store(max(largest.Load(), walSize(t, s)))
	close(stop)
	wg.Wait()
	if reads.Load() == 0 {
		t.Fatal("the readers read nothing")
	}
	// One transaction is at most a batch of 256 events of about 1 KB
	// (with the pages of the indexes and the stream row).
	if bound := int64(limit + 1<<20); largest.Load() > bound {
		t.Fatalf("the -wal file reached %.1f MiB during the flood; the bound is %.1f MiB", float64(largest.Load())/(1<<20), float64(bound)/(1<<20))
	}
	if st, _ := s.StreamStats("flood"); st.Events != 97*500 {
		t.Fatalf("%d events stored", st.Events)
	}
	// Quiet now: the -wal file is truncated to nothing.
	deadline := time.Now().Add(30 * time.Second)
	for walSize(t, s) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the -wal file still holds %d bytes after 30 s without writes", walSize(t, s))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Writing again works, and the WAL is truncated again afterwards.
	if _, err := s.AppendWait(context.Background(), evs[:10]...); err != nil {
		t.Fatal(err)
	}
	for walSize(t, s) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the -wal file still holds %d bytes after a second quiet period", walSize(t, s))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
