package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// TestKeptJobsLeaveCallerAlone makes FinishRun and SetStatus fail on a full
// disk, so that the store keeps them, returns their results to the caller,
// and runs them again once the disk takes writes. Those later runs happen
// in the writer goroutine after the caller has its answer: they must not
// write the caller's variables (a data race that go test -race reports).
// The caller touches nothing of the store until the kept writes are
// published, so no lock orders its reads before the writer's run.
func TestKeptJobsLeaveCallerAlone(t *testing.T) {
	defer store.SetLossRetry(store.SetLossRetry(20 * time.Millisecond))
	dir := smallFS(t, "4m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	published := make(chan event.Event, 1<<16)
	s := open(t, dir, store.Options{Publish: func(evs []event.Event) {
		for _, e := range evs {
			if e.Kind == event.RunExited || e.Kind == event.SessionStatus {
				published <- e
			}
		}
	}})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetStatus(ctx, "s", "processing", ""); err != nil {
		t.Fatal(err)
	}
	const runs = 20
	for i := 0; i < runs; i++ {
		if err := s.CreateRun(ctx, store.Run{ID: fmt.Sprint("r", i), SessionID: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	for len(published) > 0 {
		<-published
	}
	raw := json.RawMessage(`{"pad":"` + string(bytes.Repeat([]byte("y"), 4000)) + `"}`)
	for i := 0; i < 10000 && !errors.Is(s.Health(), store.ErrDiskFull); i++ {
		for j := 0; j < 20; j++ {
			if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
				t.Fatal(err)
			}
		}
		s.Sync(ctx) // error ignored: Health says what happened
	}
	// Take the last free bytes too, so that small writes fail as well.
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

	// FinishRun a run after the other until the store keeps one.
	kept := ""
	for i := 0; i < runs && kept == ""; i++ {
		id := fmt.Sprint("r", i)
		ok, err := s.FinishRun(ctx, id, store.RunEnd{Reason: "exit"})
		var u *store.Unavailable
		switch {
		case errors.As(err, &u) && u.Kept:
			if ok {
				t.Fatalf("FinishRun %s reports its event written, and kept", id)
			}
			kept = id
		case err != nil:
			t.Fatalf("FinishRun %s on a full disk: %v (want success or a kept write)", id, err)
		}
	}
	if kept == "" {
		t.Fatal("no FinishRun was kept on a full disk")
	}
	x, err := s.SetStatus(ctx, "s", "error", store.CodeStorageFull)
	var u *store.Unavailable
	if !errors.As(err, &u) || !u.Kept {
		t.Fatalf("SetStatus on a full disk: %v (want a kept write)", err)
	}
	if x.ID != "" {
		t.Fatalf("SetStatus returns a session although it did not happen: %+v", x)
	}

	if err := os.Remove(filepath.Join(dir, "rest")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	var exited, status bool
	timeout := time.After(60 * time.Second)
	for !exited || !status {
		select {
		case e := <-published:
			exited = exited || e.Kind == event.RunExited && e.RunID == kept
			status = status || e.Kind == event.SessionStatus
		case <-timeout:
			t.Fatalf("kept writes not published after the disk freed up (run.exited %v, session.status %v)", exited, status)
		}
	}
	if r, err := s.GetRun(kept); err != nil || r.EndedAt.IsZero() {
		t.Fatalf("kept run end not applied: %+v %v", r, err)
	}
	if x, err := s.GetSession("s"); err != nil || x.Status != "error" {
		t.Fatalf("kept status not applied: %q %v", x.Status, err)
	}
}
