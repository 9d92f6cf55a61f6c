package store

import (
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/corral-dev/corral/event"
)

// Codes of a store failure, as they appear in events.lost events and in
// the session error a lost write leads to. CodeStorageFull is a full disk;
// CodeStoreFailed is any other write failure (read-only, I/O).
const (
	CodeStorageFull = "storage_full"
	CodeStoreFailed = "store_failed"
)

// Code returns the failure code of err: CodeStorageFull for a full disk,
// CodeStoreFailed for any other *Unavailable, "" for anything else.
func Code(err error) string {
	var u *Unavailable
	switch {
	case !errors.As(err, &u):
		return ""
	case errors.Is(u.Kind, ErrDiskFull):
		return CodeStorageFull
	}
	return CodeStoreFailed
}

// LostData is the Data of an events.lost event: how many events of the
// stream were appended but never committed because writes failed, and why.
type LostData struct {
	Code       string `json:"code"`
	LostEvents int64  `json:"lostEvents"`
	Message    string `json:"message,omitempty"`
}

// lossLog is the writer's record of what failed commits cost, kept until a
// commit reports it. Owned by the writer goroutine.
type lossLog struct {
	total int64            // plain events lost
	by    map[string]int64 // the same, per stream
	err   *Unavailable     // the last failure
	// held are run.exited events of failed batches: a run's terminal event
	// is never dropped but written by the next commit that works.
	held []event.Event
	// kept are jobs marked keep whose commit failed; their callers were
	// told (Unavailable.Kept) and they run again, in order, at the next
	// commit that works.
	kept []*job
}

func (l *lossLog) pending() bool {
	return l.total > 0 || len(l.held) > 0 || len(l.kept) > 0
}

// record counts the plain events of a failed batch, here and in counts,
// holding its terminal events back.
func (l *lossLog) record(items []item, u *Unavailable, counts *lostCounts) {
	l.err = u
	batch := map[string]int64{}
	for i := range items {
		it := &items[i]
		if it.job != nil {
			continue
		}
		if it.ev.Kind == event.RunExited && it.ev.RunID != "" {
			l.held = append(l.held, it.ev)
			continue
		}
		batch[it.ev.SessionID]++
		l.total++
	}
	if len(batch) == 0 {
		return
	}
	if l.by == nil {
		l.by = map[string]int64{}
	}
	for k, v := range batch {
		l.by[k] += v
	}
	counts.add(batch, u)
}

// report writes, at the front of a transaction, what the failed commits
// before it cost: a notice in the system stream (error,
// store_write_failed), an events.lost event in each stream that lost
// events, the held terminal events and the kept jobs. It forgets them only
// once that transaction commits (see writer.committed), so a failed
// attempt leaves them for the next one.
func (l *lossLog) report(t *wtx) error {
	if !l.pending() {
		return nil
	}
	msg, code := "", CodeStoreFailed
	if l.err != nil {
		msg, code = l.err.Error(), Code(l.err)
	}
	if l.total > 0 {
		if _, err := t.emit(lostNotice(l.total, msg)); err != nil {
			return err
		}
		for _, session := range sortedKeys(l.by) {
			ev := event.New(event.EventsLost, LostData{Code: code, LostEvents: l.by[session], Message: msg})
			ev.SessionID, ev.Time = session, t.now
			if _, err := t.emit(ev); err != nil {
				return err
			}
		}
	}
	for _, ev := range l.held {
		if _, err := t.emit(ev); err != nil {
			return err
		}
	}
	for _, j := range l.kept {
		// The caller has its answer; a kept job that no longer applies
		// (the run was closed meanwhile) fails alone, under its savepoint.
		if err := t.runJob(j); err != nil {
			return err
		}
	}
	return nil
}

func lostNotice(n int64, msg string) event.Event {
	return event.New(event.ErrorKind, map[string]any{
		"code":       "store_write_failed",
		"lostEvents": n,
		"message":    msg,
	})
}

// salvage commits what a failed batch holds besides its plain events: the
// loss report, the held terminal events and the jobs, which may well fit
// where a flood's batch did not. A barrier (Sync) still gets the batch's
// error, since the events before it were not stored. When there is nothing
// to salvage it returns the batch's error.
func (w *writer) salvage(items []item, u *Unavailable) (*wtx, []*job, error) {
	var rest []item
	var barriers []*job
	for i := range items {
		switch j := items[i].job; {
		case j == nil:
		case j.fn == nil:
			barriers = append(barriers, j)
		default:
			rest = append(rest, items[i])
		}
	}
	if len(rest) == 0 && len(w.loss.held) == 0 && len(w.loss.kept) == 0 {
		return nil, append(barriers, jobsOf(rest)...), u
	}
	t, jobs, err := w.tryCommit(rest)
	if err != nil {
		return nil, append(barriers, jobs...), err
	}
	for _, j := range barriers {
		j.err = u
	}
	return t, append(jobs, barriers...), nil
}

func jobsOf(items []item) []*job {
	var out []*job
	for i := range items {
		if items[i].job != nil {
			out = append(out, items[i].job)
		}
	}
	return out
}

// lossRetry is how long the writer waits, after a failed commit, before it
// tries again to write what is left to report when nothing new is queued
// (a variable for tests).
var lossRetry = time.Second

// armRetry makes take return an empty batch after lossRetry, so that the
// loss report, held terminal events and the search texts the writer holds
// (searchhold.go) are written as soon as the disk takes them even if
// nothing is appended any more.
func (w *writer) armRetry() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.retryTimer != nil || w.closed {
		return
	}
	w.retryTimer = time.AfterFunc(lossRetry, func() {
		w.mu.Lock()
		w.retryTimer = nil
		w.retry = true
		w.cond.Broadcast()
		w.mu.Unlock()
	})
}

// lostCounts is the per-stream count of events lost since Open, for
// LostEvents.
type lostCounts struct {
	mu  sync.Mutex
	by  map[string]int64
	err *Unavailable // the failure that lost the last of them
}

func (c *lostCounts) add(by map[string]int64, u *Unavailable) {
	if len(by) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = u
	if c.by == nil {
		c.by = map[string]int64{}
	}
	for k, v := range by {
		c.by[k] += v
	}
}

// LostEvents returns how many events of a session (the system stream for
// "") were appended since Open but never stored because their commit
// failed. They count as soon as the commit fails; the events.lost event
// that records them in the log follows with the next commit that works.
// A caller compares two readings to learn whether a span of work, a turn
// say, lost output.
func (s *Store) LostEvents(session string) int64 {
	s.lost.mu.Lock()
	defer s.lost.mu.Unlock()
	return s.lost.by[session]
}

func sortedKeys(m map[string]int64) []string { return slices.Sorted(maps.Keys(m)) }

// LostCause returns the failure of the last commit that lost events (an
// *Unavailable; Code gives its code), or nil if none did since Open. It
// stays set after the store writes again.
func (s *Store) LostCause() error {
	s.lost.mu.Lock()
	defer s.lost.mu.Unlock()
	if s.lost.err == nil {
		return nil
	}
	return s.lost.err
}
