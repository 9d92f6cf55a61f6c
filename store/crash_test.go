package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// The helper process: the test binary re-executed with helperEnv set to a
// mode and helperDir to a data directory.
const (
	helperEnv = "CORRAL_STORE_TEST_HELPER"
	helperDir = "CORRAL_STORE_TEST_DIR"
	helperArg = "CORRAL_STORE_TEST_ARG"
)

func helperMain() {
	var err error
	switch os.Getenv(helperEnv) {
	case "flood":
		err = helperFlood(os.Getenv(helperDir))
	case "stream-then-die":
		err = helperStreamThenDie(os.Getenv(helperDir))
	case "hold-then-die":
		err = helperHoldThenDie(os.Getenv(helperDir))
	case "export-rss":
		err = helperExportRSS(os.Getenv(helperDir), os.Getenv(helperArg))
	default:
		err = fmt.Errorf("unknown helper mode %q", os.Getenv(helperEnv))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// openWithBus wires a store and a bus the way corral does: the store
// publishes each committed batch to the bus, the bus replays from the store.
func openWithBus(dir string, so store.Options, bo bus.Options) (*store.Store, *bus.Bus, error) {
	var b *bus.Bus
	so.Publish = func(batch []event.Event) { b.Publish(batch) }
	so.Transition = session.CheckTransition
	s, err := store.Open(dir, so)
	if err != nil {
		return nil, nil, err
	}
	b = bus.New(s, bo) // before the first Append, so Publish never sees nil
	return s, b, nil
}

const floodEvents = 100_000

// helperFlood appends floodEvents events to session "flood" while a bus
// subscriber prints "seq cursor" of every event it receives, flushed after
// each batch, so a line on stdout proves the event was delivered. It never
// returns on its own: the parent kills it with SIGKILL.
func helperFlood(dir string) error {
	s, b, err := openWithBus(dir, store.Options{}, bus.Options{})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := s.CreateSession(ctx, store.Session{ID: "flood", Agent: "claude"}); err != nil {
		return err
	}
	if _, err := s.SetStatus(ctx, "flood", "processing", "message"); err != nil {
		return err
	}
	if err := s.CreateRun(ctx, store.Run{ID: "run-1", SessionID: "flood"}); err != nil {
		return err
	}
	var delivered atomic.Int64
	go func() {
		out := bufio.NewWriterSize(os.Stdout, 1<<16)
		since := int64(0)
		for {
			sub, err := b.Subscribe(ctx, since, bus.Filter{SessionID: "flood"})
			if err != nil {
				fmt.Fprintln(os.Stderr, "subscribe:", err)
				os.Exit(3)
			}
			for batch := range sub.C {
				for _, e := range batch {
					fmt.Fprintf(out, "%d %d\n", e.Seq, e.Cursor)
				}
				out.Flush()
				delivered.Store(batch[len(batch)-1].Seq)
			}
			var d *bus.Dropped
			if !errors.As(sub.Err(), &d) {
				fmt.Fprintln(os.Stderr, "subscription ended:", sub.Err())
				os.Exit(4)
			}
			since = d.Cursor // resume exactly where it was cut off
		}
	}()
	evs := genEvents("flood", 1000)
	const chunk = 1000
	for i := 0; i < floodEvents; i += chunk {
		// Stay at most a few chunks ahead of the subscriber, so that the
		// parent's kill lands in the middle of the flood.
		for int64(i)-delivered.Load() > 4*chunk {
			time.Sleep(100 * time.Microsecond)
		}
		if err := s.Append(evs...); err != nil {
			return err
		}
	}
	select {} // wait for the kill
}

// TestSIGKILLDuringFlood kills a process that holds the store in the
// middle of a 100,000-event flood and checks, after reopening, that every
// event a subscriber had received is stored, that the session's sequence
// numbers have no gap and no duplicate, and that Recover interrupts the
// session and closes its run.
func TestSIGKILLDuringFlood(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=flood", helperDir+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAt = 50_000
	var seen []int64 // seqs, in delivery order
	var cursors []int64
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			t.Fatalf("bad helper line %q", sc.Text())
		}
		seq, _ := strconv.ParseInt(f[0], 10, 64)
		cur, _ := strconv.ParseInt(f[1], 10, 64)
		seen = append(seen, seq)
		cursors = append(cursors, cur)
		if !killed && seq >= killAt {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
				t.Fatal(err)
			}
			killed = true
			// Keep reading: lines already in the pipe were delivered too.
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("helper ended before the kill: %v", err)
	}
	if runtime.GOOS != "windows" {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != -1 {
			t.Fatalf("helper was not killed by a signal: %v", err)
		}
	}
	// Delivery order is seq order, without duplicates.
	for i := 1; i < len(seen); i++ {
		if seen[i] != seen[i-1]+1 || cursors[i] <= cursors[i-1] {
			t.Fatalf("delivered out of order or twice at %d: seq %d after %d", i, seen[i], seen[i-1])
		}
	}

	s := open(t, dir, store.Options{})
	st, err := s.StreamStats("flood")
	if err != nil {
		t.Fatal(err)
	}
	last := seen[len(seen)-1]
	if st.LastSeq < last {
		t.Fatalf("store ends at seq %d but a subscriber received seq %d", st.LastSeq, last)
	}
	// 3 = session.status + the status before flood; the flood is 100,000.
	if st.LastSeq >= floodEvents+1 {
		t.Fatalf("the whole flood (%d events) was stored: the kill did not land mid-flood", st.LastSeq)
	}
	// Read everything back: seqs 1..LastSeq, each once, cursors increasing,
	// and every delivered (seq, cursor) pair is there.
	var n int64
	var prevCursor int64
	byCursor := map[int64]int64{}
	for e, err := range s.Iter(context.Background(), "flood", 0) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if e.Seq != n {
			t.Fatalf("stored seq %d at position %d (gap or duplicate)", e.Seq, n)
		}
		if e.Cursor <= prevCursor {
			t.Fatalf("cursor %d after %d", e.Cursor, prevCursor)
		}
		prevCursor = e.Cursor
		byCursor[e.Seq] = e.Cursor
	}
	if n != st.LastSeq || n != st.Events {
		t.Fatalf("read %d events, stats %+v", n, st)
	}
	for i, seq := range seen {
		if byCursor[seq] != cursors[i] {
			t.Fatalf("delivered seq %d cursor %d, stored cursor %d", seq, cursors[i], byCursor[seq])
		}
	}
	rec, err := s.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rec.InterruptedSessions) != "[flood]" || fmt.Sprint(rec.ClosedRuns) != "[run-1]" {
		t.Fatalf("recovery %+v", rec)
	}
	x, err := s.GetSession("flood")
	if err != nil || x.Status != string(session.Interrupted) {
		t.Fatalf("session after recover: %v %q", err, x.Status)
	}
	tail, _ := s.Events("flood", n, 10)
	if len(tail) != 2 || tail[0].Kind != event.SessionStatus || tail[1].Kind != event.RunExited || tail[0].Seq != n+1 {
		t.Fatalf("recovery events %+v", tail)
	}
	t.Logf("killed after %d delivered events; %d stored", len(seen), n)
}
