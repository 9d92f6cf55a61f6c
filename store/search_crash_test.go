package store_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=stream-then-die", helperDir+"="+dir)
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
