package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/event"
)

// wtx is one writer transaction.
type wtx struct {
	w       *writer
	ctx     context.Context
	tx      *sql.Tx
	now     time.Time
	emitted []event.Event
	blk     *block // the block being filled; written by flush
	// withJob: the batch holds a job (then the search texts the writer
	// holds are written; searchhold.go).
	withJob bool

	frames []*undoFrame // [0] is the transaction, [1] the current job
	job    *job         // the job running, for answer

	activity map[string]int64 // session id → latest event time in this batch
	runEnds  []event.Event    // run.exited events committed in this batch
	dirty    map[*stream]bool
}

type undoFrame struct {
	cursor   int64
	nemitted int
	nrunEnds int
	saved    map[string]*stream // nil value: the stream did not exist
	savedSet map[string]bool
}

func (t *wtx) pushFrame() {
	t.frames = append(t.frames, &undoFrame{
		cursor:   t.w.cursor,
		nemitted: len(t.emitted),
		nrunEnds: len(t.runEnds),
		saved:    map[string]*stream{},
		savedSet: map[string]bool{},
	})
}

// save records the state of a stream before its first change in each open
// frame, so a failed job or transaction can restore it.
func (t *wtx) save(session string) {
	for _, f := range t.frames {
		if f.savedSet[session] {
			continue
		}
		f.savedSet[session] = true
		if st, ok := t.w.streams[session]; ok {
			c := *st
			f.saved[session] = &c
		} else {
			f.saved[session] = nil
		}
	}
}

func (t *wtx) undo(f *undoFrame) {
	t.w.cursor = f.cursor
	t.emitted = t.emitted[:f.nemitted]
	t.runEnds = t.runEnds[:f.nrunEnds]
	for k, v := range f.saved {
		if v == nil {
			delete(t.w.streams, k)
			continue
		}
		if st, ok := t.w.streams[k]; ok {
			*st = *v
		} else {
			c := *v
			t.w.streams[k] = &c
		}
	}
}

// stream returns the state of a session's stream, loading or creating it.
func (t *wtx) stream(session string) (*stream, error) {
	if st, ok := t.w.streams[session]; ok {
		return st, nil
	}
	if err := t.flush(); err != nil {
		return nil, err
	}
	st := &stream{session: session}
	err := t.tx.QueryRowContext(t.ctx,
		"SELECT sid, last_seq, first_seq, raw_from, events, bytes, search_held FROM streams WHERE session_id=?", session).
		Scan(&st.sid, &st.lastSeq, &st.firstSeq, &st.rawFrom, &st.events, &st.bytes, &st.searchHeld)
	if errors.Is(err, sql.ErrNoRows) {
		err = t.tx.QueryRowContext(t.ctx, "INSERT INTO streams(session_id) VALUES(?) RETURNING sid", session).Scan(&st.sid)
		st.firstSeq, st.rawFrom = 1, 1
	}
	if err != nil {
		return nil, err
	}
	t.save(session)
	t.w.streams[session] = st
	switch {
	case st.searchHeld > 0:
		t.w.held.marked = append(t.w.held.marked, session)
		if err := t.recoverHeld(st); err != nil {
			return nil, err
		}
	case st.events > 0:
		if err := t.recoverPending(st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// emit assigns Seq and Cursor to ev, queues its row, and records it for
// publication after commit.
func (t *wtx) emit(ev event.Event) (event.Event, error) { return t.emitPre(ev, nil) }

// emitPre is emit with the event's search text worked out beforehand
// (preIndex); nil works it out here.
func (t *wtx) emitPre(ev event.Event, pre *searchPre) (event.Event, error) {
	st, err := t.stream(ev.SessionID)
	if err != nil {
		return ev, err
	}
	t.save(ev.SessionID)
	st.lastSeq++
	t.w.cursor++
	ev.Seq, ev.Cursor = st.lastSeq, t.w.cursor
	if ev.Time.IsZero() {
		ev.Time = t.now
	}
	n := int64(len(ev.Data) + len(ev.Raw))
	st.events++
	st.bytes += n
	t.w.walEst += n + 64
	t.dirty[st] = true
	if ev.SessionID != "" {
		if ns := ev.Time.UnixNano(); ns > t.activity[ev.SessionID] {
			t.activity[ev.SessionID] = ns
		}
	}
	if ev.Kind == event.RunExited && ev.RunID != "" {
		t.runEnds = append(t.runEnds, ev)
	}
	if err := t.index(st, &ev, pre); err != nil {
		return ev, err
	}
	if !t.blk.fits(st.sid, &ev) {
		if err := t.flush(); err != nil {
			return ev, err
		}
		t.blk.start(st.sid, &ev)
	}
	t.blk.add(&ev)
	t.emitted = append(t.emitted, ev)
	return ev, nil
}

// flush writes the pending block, if any.
func (t *wtx) flush() error {
	b := t.blk
	if b.n == 0 {
		return nil
	}
	err := t.w.insertBlock(t.ctx, b.firstCursor, b.sid, b.firstSeq, b.lastSeq(), b.body)
	b.reset()
	return err
}

const insertBlockSQL = "INSERT INTO event_blocks(first_cursor, sid, first_seq, last_seq, body) VALUES(?,?,?,?,?)"

// insertBlock writes one block on the write connection, inside the
// transaction that is open on it. The driver copies body, so the caller
// may reuse it.
func (w *writer) insertBlock(ctx context.Context, firstCursor, sid, firstSeq, lastSeq int64, body []byte) error {
	return w.conn.Raw(func(dc any) error {
		if w.ins == nil {
			p, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return fmt.Errorf("store: driver connection %T cannot prepare with a context", dc)
			}
			st, err := p.PrepareContext(ctx, insertBlockSQL)
			if err != nil {
				return err
			}
			w.ins = st
		}
		x, ok := w.ins.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("store: driver statement %T cannot execute with a context", w.ins)
		}
		_, err := x.ExecContext(ctx, []driver.NamedValue{
			{Ordinal: 1, Value: firstCursor},
			{Ordinal: 2, Value: sid},
			{Ordinal: 3, Value: firstSeq},
			{Ordinal: 4, Value: lastSeq},
			{Ordinal: 5, Value: body},
		})
		return err
	})
}

// answer sets the result the caller of the running job gets with its
// outcome. A job must hand results to its caller only this way, never by
// writing the caller's variables: a kept job runs again in the writer after
// its caller was answered, and its result then goes nowhere.
func (t *wtx) answer(v any) {
	if !t.job.answered {
		t.job.out = v
	}
}

// runJob runs one job under a savepoint. A job's own error is reported to
// its caller and undone; an error of the savepoint machinery aborts the
// whole batch. A job runs again when its batch failed (salvage, a kept
// job): each attempt starts with no error and, while its caller waits, no
// answer, so the caller gets the outcome of the attempt that committed.
func (t *wtx) runJob(j *job) error {
	j.err = nil
	if !j.answered {
		j.out = nil
	}
	if err := t.flush(); err != nil {
		return err
	}
	if err := t.flushDocs(); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, "SAVEPOINT job"); err != nil {
		return err
	}
	t.pushFrame()
	held := t.w.held.mark()
	t.job = j
	err := j.fn(t)
	t.job = nil
	if err == nil {
		err = t.flush()
	}
	if err == nil {
		err = t.flushDocs()
	}
	f := t.frames[len(t.frames)-1]
	t.frames = t.frames[:len(t.frames)-1]
	if err != nil {
		t.blk.reset()
		t.w.held.rewind(held) // the job's own texts
		t.undo(f)
		if _, rerr := t.tx.ExecContext(t.ctx, "ROLLBACK TO job"); rerr != nil {
			return rerr
		}
		j.err = err
	}
	_, rerr := t.tx.ExecContext(t.ctx, "RELEASE job")
	if rerr != nil {
		return rerr
	}
	// A failure of the environment (disk full) fails the batch, so the
	// caller sees *Unavailable rather than a half-applied job.
	var u *Unavailable
	if errors.As(classify("", err), &u) {
		return err
	}
	return nil
}

// finish applies the per-batch bookkeeping: retention, stream rows, the
// cursor high-water mark, session activity and run ends.
func (t *wtx) finish() error {
	if err := t.flush(); err != nil {
		return err
	}
	h := &t.w.held
	drained, withJob := t.w.queueDrained(), t.withJob
	if holdForTest.Load() {
		drained, withJob = false, false
	}
	if writeHeld(h.texts, h.bytes, t.now.Sub(h.since), drained, withJob) {
		if err := t.flushDocs(); err != nil {
			return err
		}
	}
	for st := range t.dirty {
		if err := t.trim(st); err != nil {
			return err
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	for st := range t.dirty {
		if t.w.streams[st.session] != st {
			continue // deleted in this batch
		}
		if _, err := t.tx.ExecContext(t.ctx,
			"UPDATE streams SET last_seq=?, first_seq=?, raw_from=?, events=?, bytes=?, search_held=? WHERE sid=?",
			st.lastSeq, st.firstSeq, st.rawFrom, st.events, st.bytes, st.searchHeld, st.sid); err != nil {
			return err
		}
	}
	if len(t.dirty) > 0 {
		if _, err := t.tx.ExecContext(t.ctx, "UPDATE meta SET value=? WHERE key='cursor'", t.w.cursor); err != nil {
			return err
		}
	}
	for id, ns := range t.activity {
		if _, err := t.tx.ExecContext(t.ctx,
			"UPDATE sessions SET last_activity=? WHERE id=? AND last_activity<?", ns, id, ns); err != nil {
			return err
		}
	}
	for _, ev := range t.runEnds {
		var d struct {
			ExitCode *int   `json:"exitCode"`
			Reason   string `json:"reason"`
		}
		_ = json.Unmarshal(ev.Data, &d) // best effort: the event itself is what counts
		if _, err := t.tx.ExecContext(t.ctx,
			"UPDATE runs SET ended_at=?, exit_code=coalesce(?, exit_code), reason=CASE WHEN ?='' THEN reason ELSE ? END WHERE id=? AND ended_at IS NULL",
			ev.Time.UnixNano(), d.ExitCode, d.Reason, d.Reason, ev.RunID); err != nil {
			return err
		}
	}
	return nil
}
