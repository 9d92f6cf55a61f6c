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

// TestDiskFullFloodEndsWithReportAndTerminalEvent is the flood of an
// agent on a data directory that fills up: its output fails to commit,
// then the agent exits. The run's terminal event, the run's end and the
// session's status change must not be lost with the flood, the number of
// lost events must land in the session's own log, and all of that must be
// written once the disk takes writes again, although nothing is appended
// any more.
func TestDiskFullFloodEndsWithReportAndTerminalEvent(t *testing.T) {
	defer store.SetLossRetry(store.SetLossRetry(50 * time.Millisecond))
	dir := smallFS(t, "4m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, store.Options{})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, "s", "processing", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, store.Run{ID: "r", SessionID: "s"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, store.Run{ID: "p", SessionID: "s"}); err != nil {
		t.Fatal(err)
	}
	raw := json.RawMessage(`{"pad":"` + string(bytes.Repeat([]byte("y"), 4000)) + `"}`)
	appended := int64(0)
	for i := 0; i < 10000 && !errors.Is(s.Health(), store.ErrDiskFull); i++ {
		for j := 0; j < 20; j++ {
			if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
				t.Fatal(err)
			}
			appended++
		}
		s.Sync(ctx) // error ignored: Health says what happened
	}
	if !errors.Is(s.Health(), store.ErrDiskFull) {
		t.Fatalf("the disk never filled: %v", s.Health())
	}
	// The process's run.exited comes behind the flood, in the same queue;
	// then the session ends the turn and sets the status.
	for j := 0; j < 200; j++ {
		if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
			t.Fatal(err)
		}
		appended++
	}
	exited := event.New(event.RunExited, map[string]any{"reason": "exit"})
	exited.SessionID, exited.RunID = "s", "p"
	if err := s.Append(exited); err != nil {
		t.Fatal(err)
	}
	kept := func(what string, err error) {
		var u *store.Unavailable
		if err != nil && !(errors.As(err, &u) && u.Kept) {
			t.Fatalf("%s while the disk is full: %v (want success or a kept write)", what, err)
		}
	}
	_, err := s.FinishRun(ctx, "r", store.RunEnd{Reason: "error"})
	kept("FinishRun", err)
	_, err = s.SetStatus(ctx, "s", "error", store.CodeStorageFull)
	kept("SetStatus", err)
	if s.LostEvents("s") == 0 {
		t.Fatal("LostEvents counts nothing after failed commits")
	}

	// Free space and append nothing more: the writer retries by itself.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	deadline := time.Now().Add(60 * time.Second)
	for {
		evs = allEvents(t, s, "s")
		if s.Health() == nil && countKind(evs, event.EventsLost) > 0 && countRunExited(evs, "r") > 0 && countRunExited(evs, "p") > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report after the disk freed up: health %v, %d events.lost, run.exited r %d, p %d",
				s.Health(), countKind(evs, event.EventsLost), countRunExited(evs, "r"), countRunExited(evs, "p"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var lost, stdout int64
	for _, e := range evs {
		switch e.Kind {
		case event.EventsLost:
			var d store.LostData
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			if d.Code != store.CodeStorageFull || d.LostEvents < 1 {
				t.Fatalf("events.lost %s", e.Data)
			}
			lost += d.LostEvents
		case event.Stdout:
			stdout++
		}
	}
	if stdout+lost != appended {
		t.Fatalf("%d stdout events appended, %d stored, %d reported lost", appended, stdout, lost)
	}
	if got := s.LostEvents("s"); got != lost {
		t.Fatalf("LostEvents %d, the log reports %d", got, lost)
	}
	if n, m := countRunExited(evs, "r"), countRunExited(evs, "p"); n != 1 || m != 1 {
		t.Fatalf("run.exited: %d for r, %d for p; want exactly one each", n, m)
	}
	if x, err := s.GetSession("s"); err != nil || x.Status != "error" {
		t.Fatalf("session status %q (%v), want error", x.Status, err)
	}
	if r, err := s.GetRun("r"); err != nil || r.EndedAt.IsZero() {
		t.Fatalf("run r not closed: %+v %v", r, err)
	}
}

func allEvents(t *testing.T, s *store.Store, session string) []event.Event {
	t.Helper()
	var out []event.Event
	for ev, err := range s.Iter(ctx, session, 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func countKind(evs []event.Event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func countRunExited(evs []event.Event, run string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == event.RunExited && e.RunID == run {
			n++
		}
	}
	return n
}
