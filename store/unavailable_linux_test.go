package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// smallFS mounts a tmpfs of the given size on a fresh directory: a real
// file system that really fills up and can really be made read-only (which
// a chmod cannot do for root). It needs CAP_SYS_ADMIN; without it the test
// is skipped.
func smallFS(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root with CAP_SYS_ADMIN", err)
	}
	// Registered before any store is opened on it, so it runs after the
	// stores' Close cleanups.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func TestDiskFullIsTypedAndRecoverable(t *testing.T) {
	dir := smallFS(t, "4m")
	// A filler file that will be deleted to free space again.
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, store.Options{})
	if _, err := s.CreateSession(ctx, store.Session{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	raw := json.RawMessage(`{"pad":"` + string(bytes.Repeat([]byte("y"), 4000)) + `"}`)
	var failure error
	appended := int64(0)
	for i := 0; i < 10000 && failure == nil; i++ {
		for j := 0; j < 20; j++ {
			if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Raw: raw}); err != nil {
				t.Fatalf("Append itself failed: %v", err)
			}
			appended++
		}
		failure = s.Sync(ctx)
	}
	var u *store.Unavailable
	if !errors.As(failure, &u) || !errors.Is(failure, store.ErrDiskFull) {
		t.Fatalf("disk full reported as %v", failure)
	}
	if !errors.Is(s.Health(), store.ErrDiskFull) {
		t.Fatalf("health %v", s.Health())
	}
	// Reads keep working.
	if x, err := s.GetSession("s"); err != nil || x.ID != "s" {
		t.Fatalf("GetSession while full: %v", err)
	}
	st, err := s.StreamStats("s")
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events("s", 0, 10)
	if err != nil || len(evs) == 0 {
		t.Fatalf("Events while full: %v %d", err, len(evs))
	}
	// Metadata writes fail with the typed error too.
	if _, err := s.UpdateSession(ctx, "s", func(x *store.Session) error {
		x.Meta = json.RawMessage(`{"k":"` + string(bytes.Repeat([]byte("z"), 1<<20)) + `"}`)
		return nil
	}); !errors.Is(err, store.ErrDiskFull) {
		t.Fatalf("UpdateSession while full: %v", err)
	}

	// Free space: the writer recovers by itself and says what was lost.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Data: json.RawMessage(`{"after":true}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	if s.Health() != nil {
		t.Fatalf("health after recovery %v", s.Health())
	}
	// Failed batches leave no gaps: the session's log continues with the
	// events.lost report and the new event.
	after := allEvents(t, s, "s")
	for i, e := range after {
		if e.Seq != int64(i)+1 {
			t.Fatalf("event %d has seq %d: failed batches must not leave gaps", i, e.Seq)
		}
	}
	// A commit between two failures of the filling loop may already have
	// stored a notice (at or below st.LastSeq); the rest follow it, then
	// the event appended after recovery, last.
	var noticesBefore, noticesAfter int64
	for _, e := range after {
		if e.Kind != event.EventsLost {
			continue
		}
		if e.Seq <= st.LastSeq {
			noticesBefore++
		} else {
			noticesAfter++
		}
	}
	if noticesBefore+noticesAfter < 1 || int64(len(after)) != st.LastSeq+noticesAfter+1 {
		t.Fatalf("%d events before recovery (%d notices), %d after, %d events.lost after", st.LastSeq, noticesBefore, len(after), noticesAfter)
	}
	if last := after[len(after)-1]; !bytes.Contains(last.Data, []byte(`"after":true`)) {
		t.Fatalf("the last event is %s %s, not the one appended after recovery", last.Kind, last.Data)
	}
	// The filling loop can see more than one failure, and a failed batch
	// can hold any number of the appended events: the writer sizes batches
	// by what is queued and by its own pace. Each failed batch is reported
	// by its own notice, so every notice counts at least one lost event.
	sys, _ := s.Events("", 0, 100)
	if len(sys) == 0 {
		t.Fatal("no loss notice in the system stream")
	}
	var lost int64
	for _, e := range sys {
		var notice struct {
			Code       string
			LostEvents int64
		}
		json.Unmarshal(e.Data, &notice)
		if e.Kind != event.ErrorKind || notice.Code != "store_write_failed" || notice.LostEvents < 1 {
			t.Fatalf("loss notice %s %s", e.Kind, e.Data)
		}
		lost += notice.LostEvents
	}
	// Nothing vanished silently: every appended event is stored or counted
	// by a notice.
	if stored := st.LastSeq - noticesBefore; lost < 1 || stored+lost != appended {
		t.Fatalf("%d events appended while filling, %d stored, %d reported lost", appended, stored, lost)
	}
}

func TestReadOnlyDataDirServesReads(t *testing.T) {
	dir := smallFS(t, "8m")
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateSession(ctx, store.Session{ID: "s", Agent: "claude"})
	for i := 0; i < 100; i++ {
		s.Append(event.Event{SessionID: "s", Kind: event.Stdout, Data: json.RawMessage(`{"i":1}`)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}

	s = open(t, dir, store.Options{})
	if !s.ReadOnly() {
		t.Fatal("store on a read-only file system not reported read-only")
	}
	if !errors.Is(s.Health(), store.ErrReadOnly) {
		t.Fatalf("health %v", s.Health())
	}
	if x, err := s.GetSession("s"); err != nil || x.Agent != "claude" {
		t.Fatalf("GetSession: %v", err)
	}
	if evs, err := s.Events("s", 0, 1000); err != nil || len(evs) != 100 {
		t.Fatalf("Events: %v %d", err, len(evs))
	}
	if l, err := s.ListSessions(0); err != nil || len(l) != 1 {
		t.Fatalf("ListSessions: %v", err)
	}
	err = s.Append(event.Event{SessionID: "s", Kind: event.Stdout})
	var u *store.Unavailable
	if !errors.As(err, &u) || !errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("Append on read-only store: %v", err)
	}
	if _, err := s.CreateSession(ctx, store.Session{ID: "t"}); !errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("CreateSession on read-only store: %v", err)
	}
	if _, err := s.Recover(ctx); !errors.Is(err, store.ErrReadOnly) {
		t.Fatalf("Recover on read-only store: %v", err)
	}
}

// TestHeldSearchTextsDoNotBlockCommitsOnAFullDisk: megabytes of search
// texts held over a flood's commits must not make a nearly full disk
// refuse the small commits that fit without them (a session, one event):
// a batch that carried them goes again without them, and they are written
// once there is room.
func TestHeldSearchTextsDoNotBlockCommitsOnAFullDisk(t *testing.T) {
	defer store.SetLossRetry(store.SetLossRetry(10 * time.Millisecond))
	dir := smallFS(t, "32m")
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, store.Options{})
	<-s.SearchBackfilled()
	store.HoldSearchTexts(true)
	defer store.HoldSearchTexts(false)
	out := strings.Repeat("heldbulk ", 900) // 8 KiB of text each
	for i := 0; i < 600; i++ {
		if err := s.Append(searchEv("flood", event.ToolResult, agent.ToolResultData{Output: fmt.Sprintf("w%dq %s", i, out)})); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckpointNow(); err != nil {
		t.Fatal(err)
	}
	// Fill what is left of the disk, then free a megabyte.
	fill, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := fill.Write(make([]byte, 64<<10)); err != nil {
			break
		}
	}
	fill.Close()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSession(ctx, store.Session{ID: "small"}); err != nil {
		t.Fatalf("a session on a disk with room for it: %v", err)
	}
	if _, err := s.AppendWait(ctx, searchEv("small", event.ToolResult, agent.ToolResultData{Output: "smallword"})); err != nil {
		t.Fatalf("one event on a disk with room for it: %v", err)
	}
	// With room again, the held texts are written.
	if err := os.Remove(filepath.Join(dir, "fill")); err != nil {
		t.Fatal(err)
	}
	store.HoldSearchTexts(false)
	// The writer's armed retry writes the held texts.
	for i := 0; ; i++ {
		n := 0
		for _, w := range []string{"smallword", "w0q", "w599q"} {
			hits := mustSearch(t, s, store.SearchQuery{Query: w})
			if len(hits) > 1 {
				t.Fatalf("%s: %d hits", w, len(hits))
			}
			n += len(hits)
		}
		if n == 3 {
			break
		}
		if i == 1000 {
			t.Fatalf("%d of 3 texts found once there is room", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
