package store

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

// TestWALStartsOverDuringAFlood appends 160 MB without a pause and checks
// that the WAL file never grows past a bound: the writer lets the
// checkpointer catch up now and then, so SQLite starts the WAL over instead
// of growing it for as long as the flood lasts. The restart threshold is
// lowered to 32 MiB to keep the test small, and the pause cap raised so
// that a slow machine cannot make the test depend on timing.
func TestWALStartsOverDuringAFlood(t *testing.T) {
	oldPause, oldBytes := walRestartPause, walRestartBytes
	walRestartPause, walRestartBytes = 10*time.Second, 32<<20
	defer func() { walRestartPause, walRestartBytes = oldPause, oldBytes }()

	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw := json.RawMessage(`"` + string(bytes.Repeat([]byte("x"), 1000)) + `"`)
	batch := make([]event.Event, 1000)
	for i := range batch {
		batch[i] = event.Event{SessionID: "flood", Kind: event.Stdout, Raw: raw}
	}
	var largest int64
	for i := 0; i < 160; i++ {
		if err := s.Append(batch...); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(s.path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A restart is asked for after 32 MiB; the file is truncated to the
	// 64 MiB journal_size_limit when it starts over. Without restarts it
	// would reach about 160 MiB.
	if largest > 100<<20 {
		t.Fatalf("the WAL grew to %d MiB during a 160 MB flood", largest>>20)
	}
	if st, _ := s.StreamStats("flood"); st.Events != 160_000 {
		t.Fatalf("%d events stored", st.Events)
	}
}
