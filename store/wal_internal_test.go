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
// that the WAL file never grows past its bound: the writer waits for a
// RESTART checkpoint whenever the file reaches MaxWALBytes, so SQLite starts
// the WAL over instead of growing it for as long as the flood lasts. The
// bound is lowered to 32 MiB to keep the test small.
func TestWALStartsOverDuringAFlood(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{MaxWALBytes: 32 << 20})
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
	// 32 MiB plus one batch (2,048 events of about 1 KB). Without
	// restarts it would reach about 160 MiB.
	if largest > 36<<20 {
		t.Fatalf("the WAL grew to %d MiB during a 160 MB flood", largest>>20)
	}
	if st, _ := s.StreamStats("flood"); st.Events != 160_000 {
		t.Fatalf("%d events stored", st.Events)
	}
}

func TestWALStep(t *testing.T) {
	lim := newWALLimits(&Options{MaxWALBytes: 64 << 20})
	if lim.kick != 16<<20 || lim.hard != 64<<20 {
		t.Fatalf("limits %+v", lim)
	}
	for _, c := range []struct {
		size, appended int64
		want           walAction
	}{
		{0, 0, walNothing},
		{32 << 20, 1 << 20, walNothing},
		{32 << 20, 16 << 20, walKick},
		{64 << 20, 0, walRestart},
		{80 << 20, 16 << 20, walRestart},
	} {
		if got := walStep(c.size, c.appended, lim); got != c.want {
			t.Errorf("walStep(%d, %d) = %d, want %d", c.size, c.appended, got, c.want)
		}
	}
	if big := newWALLimits(&Options{MaxWALBytes: 1 << 30}); big.kick != walKickBytes {
		t.Errorf("kick %d for a 1 GiB bound", big.kick)
	}
}

func TestQuietDue(t *testing.T) {
	if quietDue(time.Second, 5*time.Second, 100) {
		t.Error("due before the quiet period")
	}
	if quietDue(6*time.Second, 5*time.Second, 0) {
		t.Error("due with an empty file")
	}
	if !quietDue(5*time.Second, 5*time.Second, 100) {
		t.Error("not due after the quiet period")
	}
}
