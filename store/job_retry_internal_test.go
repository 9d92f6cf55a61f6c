package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestJobRetryStartsClean runs a job whose first attempt answers and then
// fails the batch (the disk refuses it), so the writer runs it again in the
// salvage commit, where it succeeds without answering: its caller must get
// that attempt's outcome, not the error or the answer of the first one.
func TestJobRetryStartsClean(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	attempts := 0
	out, err := s.w.submit(context.Background(), func(t *wtx) error {
		attempts++
		if attempts == 1 {
			t.answer("stale")
			return &Unavailable{Op: "append", Kind: ErrDiskFull, Err: errors.New("disk full")}
		}
		return nil
	}, false)
	if attempts != 2 {
		t.Fatalf("the job ran %d times, want 2 (a failed batch, then its salvage)", attempts)
	}
	if err != nil || out != nil {
		t.Fatalf("the retried job succeeded without an answer, its caller got (%v, %v)", out, err)
	}
}

// TestJobRetryKeepsOnlyItsOwnError is the converse: the first attempt
// answers, the second fails on its own; the caller gets that error and no
// answer.
func TestJobRetryKeepsOnlyItsOwnError(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	own := errors.New("the run was closed meanwhile")
	attempts := 0
	out, err := s.w.submit(context.Background(), func(t *wtx) error {
		attempts++
		if attempts == 1 {
			t.answer("stale")
			return &Unavailable{Op: "append", Kind: ErrDiskFull, Err: errors.New("disk full")}
		}
		return own
	}, false)
	if attempts != 2 || !errors.Is(err, own) || out != nil {
		t.Fatalf("after %d attempts the caller got (%v, %v), want (nil, %v)", attempts, out, err, own)
	}
}

// TestEveryJobOfAFailedBatchIsAnswered: a job that the disk refuses fails
// its batch before the jobs queued behind it ran. Those must be answered
// too (they were not, and their callers waited for ever: a search merge
// queued behind a refused write made Close hang on a full disk).
func TestEveryJobOfAFailedBatchIsAnswered(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Closed at the end only: with a job left unanswered, Close would
	// wait for it too.
	refused := &job{done: make(chan error, 1), fn: func(t *wtx) error {
		return &Unavailable{Op: "append", Kind: ErrDiskFull, Err: errors.New("disk full")}
	}}
	ran := false
	behind := &job{done: make(chan error, 1), fn: func(t *wtx) error { ran = true; return nil }}
	// One enqueue: the writer takes both into one batch.
	if err := s.w.enqueue(item{job: refused}, item{job: behind}); err != nil {
		t.Fatal(err)
	}
	if err := <-refused.done; !errors.Is(err, ErrDiskFull) {
		t.Fatalf("the refused job got %v", err)
	}
	select {
	case err := <-behind.done:
		if ran || !errors.Is(err, ErrDiskFull) {
			t.Fatalf("the job behind it: ran %v, answered %v; want not run and the batch's error", ran, err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the job queued behind the refused one was never answered")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
