package store_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// helperStreamThenDie stores the pieces of an assistant message that has
// not ended, waits until they are committed, says so on stdout and waits
// to be killed: the message is never indexed by this process.
func helperStreamThenDie(dir string) error {
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		return err
	}
	if err := s.Append(
		searchEv("a", event.AssistantText, agent.TextData{Text: "the crashw", Delta: true}),
		searchEv("a", event.AssistantText, agent.TextData{Text: "orthy parser", Delta: true}),
	); err != nil {
		return err
	}
	// Session b: a message longer than one document, whose first 8 KiB
	// were indexed before the kill.
	long := []event.Event{searchEv("b", event.AssistantText, agent.TextData{Text: "headword ", Delta: true})}
	for range 100 {
		long = append(long, searchEv("b", event.AssistantText, agent.TextData{Text: strings.Repeat("filler ", 15), Delta: true}))
	}
	long = append(long, searchEv("b", event.AssistantText, agent.TextData{Text: "tailword", Delta: true}))
	if err := s.Append(long...); err != nil {
		return err
	}
	if err := s.Sync(ctx); err != nil {
		return err
	}
	fmt.Println("synced")
	select {} // wait for the kill
}

// TestSearchIndexesAMessageCutByAKill: the committed pieces of a message
// whose process was killed before the message ended are indexed, as one
// document, once the session's stream is written to again after reopening.
func TestSearchIndexesAMessageCutByAKill(t *testing.T) {
	dir := t.TempDir()
	killHelper(t, "stream-then-die", dir)

	s := open(t, dir, store.Options{})
	if _, err := s.AppendWait(ctx, searchEv("a", event.RunExited, map[string]any{"code": 0})); err != nil {
		t.Fatal(err)
	}
	hits := mustSearch(t, s, store.SearchQuery{Query: "crashworthy"})
	if len(hits) != 1 || hits[0].Seq != 1 || hits[0].Kind != event.AssistantText {
		t.Fatalf("crashworthy after the kill: %+v", hits)
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "parser"}); len(hits) != 1 {
		t.Fatalf("parser after the kill: %+v", hits)
	}
	// The part of a long message indexed before the kill is not indexed
	// twice; the rest is indexed at the message's end.
	if _, err := s.AppendWait(ctx, searchEv("b", event.RunExited, map[string]any{"code": 0})); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"headword", "tailword"} {
		if hits := mustSearch(t, s, store.SearchQuery{Query: w}); len(hits) != 1 {
			t.Fatalf("%s after the kill: %+v", w, hits)
		}
	}
}

// killHelper runs the helper process in mode with dir, waits until it
// says "synced" and kills it.
func killHelper(t *testing.T, mode, dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDir+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, len("synced\n"))
	if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "synced\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %q, %v", line, err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	err = cmd.Wait()
	if runtime.GOOS != "windows" {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != -1 {
			t.Fatalf("helper was not killed by a signal: %v", err)
		}
	}
}

// helperHoldThenDie writes one text to the index, then appends events
// whose texts the writer holds (as under a flood), waits until they are
// committed, says so on stdout and waits to be killed: the held texts are
// never written by this process.
func helperHoldThenDie(dir string) error {
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		return err
	}
	<-s.SearchBackfilled() // no job of the index's own comes after this
	if _, err := s.AppendWait(ctx, searchEv("a", event.ToolResult, agent.ToolResultData{Output: "beforeword"})); err != nil {
		return err
	}
	store.HoldSearchTexts(true)
	if err := s.Append(
		searchEv("a", event.ToolCall, agent.ToolCallData{ID: "t1", Name: "Bash", Input: json.RawMessage(`{"command":"heldcommand"}`)}),
		searchEv("a", event.ToolResult, agent.ToolResultData{ID: "t1", Output: "heldoutput"}),
		searchEv("b", event.AssistantText, agent.TextData{Text: "heldmess", Delta: true}),
		searchEv("b", event.AssistantText, agent.TextData{Text: "age ends", Delta: true}),
		searchEv("b", event.TurnCompleted, map[string]any{}),
		searchEv("b", event.AssistantText, agent.TextData{Text: "openpart", Delta: true}),
	); err != nil {
		return err
	}
	if err := s.Sync(ctx); err != nil {
		return err
	}
	fmt.Println("synced")
	select {} // wait for the kill
}

// TestSearchIndexesTheTextsAKilledProcessHeld: texts the writer held in
// memory (a flood) when its process was killed are indexed after the
// store is opened again, each once, and the message left open is indexed
// when it ends.
func TestSearchIndexesTheTextsAKilledProcessHeld(t *testing.T) {
	dir := t.TempDir()
	killHelper(t, "hold-then-die", dir)

	// What the kill left: both streams marked, their texts not indexed.
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var marked, indexed int
	if err := db.QueryRow("SELECT count(*) FROM streams WHERE search_held > 0").Scan(&marked); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM search WHERE search MATCH 'heldoutput OR heldcommand OR heldmessage'").Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if marked != 2 || indexed != 0 {
		t.Fatalf("after the kill: %d streams marked (want 2), %d held texts indexed (want 0)", marked, indexed)
	}

	s := open(t, dir, store.Options{})
	<-s.SearchBackfilled()
	for _, w := range []string{"beforeword", "heldcommand", "heldoutput", "heldmessage"} {
		if hits := mustSearch(t, s, store.SearchQuery{Query: w}); len(hits) != 1 {
			t.Errorf("%s after the kill: %d hits, want 1: %+v", w, len(hits), hits)
		}
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "openpart"}); len(hits) != 0 {
		t.Errorf("the open message is indexed before it ends: %+v", hits)
	}
	if _, err := s.AppendWait(ctx, searchEv("b", event.RunExited, map[string]any{"code": 0})); err != nil {
		t.Fatal(err)
	}
	if hits := mustSearch(t, s, store.SearchQuery{Query: "openpart"}); len(hits) != 1 {
		t.Errorf("openpart once its message ended: %+v", hits)
	}
}
