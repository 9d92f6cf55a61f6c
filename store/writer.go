package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/event"
)

// writer owns every write: one goroutine, one connection, so sequence
// numbers and the store-wide cursor are assigned without locks or races.
type writer struct {
	s    *Store
	conn *sql.Conn

	mu     sync.Mutex
	cond   *sync.Cond // signalled on new items, on space and on close
	q      []item
	head   int
	closed bool
	done   chan struct{}
	// retry asks take for an empty batch, to write what failed commits
	// left to report and the held search texts (armRetry in loss.go);
	// retryTimer is the pending ask.
	retry      bool
	retryTimer *time.Timer
	// The queue and batch bounds in force (see bounds), and the measured
	// writer time per event they derive from; all guarded by mu.
	qlimit, blimit int
	perEvent       time.Duration

	// Owned by the writer goroutine.
	cursor  int64
	streams map[string]*stream
	loss    lossLog    // what failed commits cost, until a commit reports it (loss.go)
	errs    failureLog // which failed commits OnError hears of (errlog.go)

	// ins is the block INSERT, prepared once on the write connection and
	// reused by every batch (a statement survives COMMIT and ROLLBACK). It
	// is a driver statement executed with driver.NamedValue arguments,
	// which skips database/sql's per-call argument conversion.
	ins driver.Stmt
	// blk is the block under construction, its body buffer reused.
	blk block
	// search holds the prepared insert of the search index (searchindex.go).
	search searchWriter
	// held is what the writer holds for the search index; wroteHeld says
	// that the last transaction tried wrote held texts, keepHeld that the
	// one being tried must not, heldFailing that the last one to write
	// them failed, and heldRetryAt when batches try them again
	// (searchhold.go).
	held        heldIndex
	wroteHeld   bool
	keepHeld    bool
	heldFailing bool
	heldRetryAt time.Time

	// The WAL bound (wal.go).
	ckKick  chan struct{}
	ckSync  chan chan struct{} // asks the checkpointer for a RESTART; see restartWAL
	walEst  int64              // bytes appended since the last checkpointer kick (estimate)
	walLim  walLimits
	commits atomic.Uint64 // successful commits, for the quiet-period truncation
}

// stream is the writer's view of one session's log (mirrors a streams row).
type stream struct {
	sid      int64
	session  string
	lastSeq  int64
	firstSeq int64
	rawFrom  int64
	events   int64
	bytes    int64
	msg      pendingText // streamed text gathered for the search index
	// searchHeld is the cursor of the stream's first search text the
	// writer holds, not yet written; 0 when none (searchhold.go).
	searchHeld int64
}

func newWriter(s *Store) (*writer, error) {
	ctx := context.Background()
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{
		s:       s,
		conn:    conn,
		streams: make(map[string]*stream),
		done:    make(chan struct{}),
		ckKick:  make(chan struct{}, 1),
		ckSync:  make(chan chan struct{}),
		walLim:  newWALLimits(&s.opts),
	}
	w.cond = sync.NewCond(&w.mu)
	w.qlimit, w.blimit = s.opts.QueueLimit, s.opts.MaxBatch
	var metaCursor, maxCursor sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT value FROM meta WHERE key='cursor'").Scan(&metaCursor); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.QueryRowContext(ctx,
		"SELECT first_cursor+last_seq-first_seq FROM event_blocks ORDER BY first_cursor DESC LIMIT 1").Scan(&maxCursor); err != nil && !errors.Is(err, sql.ErrNoRows) {
		conn.Close()
		return nil, err
	}
	w.cursor = max(metaCursor.Int64, maxCursor.Int64)
	go w.run()
	return w, nil
}

func (w *writer) close() error {
	w.mu.Lock()
	w.closed = true
	if w.retryTimer != nil {
		w.retryTimer.Stop()
		w.retryTimer = nil
	}
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.done
	err := w.conn.Raw(func(any) error {
		if w.ins == nil {
			return nil
		}
		err := w.ins.Close()
		w.ins = nil
		return err
	})
	err = errors.Join(err, w.conn.Raw(func(any) error { return w.search.close() }))
	return errors.Join(err, w.conn.Close())
}

func (w *writer) run() {
	defer close(w.done)
	var buf []item
	for {
		var ok bool
		buf, ok = w.take(buf)
		if !ok {
			// A last try at what failed commits left to report, and
			// the streamed messages the search index is gathering
			// (and the texts it holds, even just after a failed write).
			w.heldRetryAt = time.Time{}
			w.commit(w.closingItems())
			return
		}
		start := time.Now()
		w.commit(buf)
		w.observe(len(buf), time.Since(start))
		clear(buf)
	}
}

// commit writes one batch in one transaction and, once it is durable,
// publishes its events and answers its jobs. A batch that fails is written
// again without its plain events (see salvage in loss.go), so that a flood
// that fills the disk does not take the jobs and terminal events queued
// behind it down with it.
func (w *writer) commit(items []item) {
	onlyHeld := len(items) == 0 && !w.loss.pending()
	if onlyHeld && w.held.empty() {
		return
	}
	// Once a write of the held search texts failed, batches keep them
	// for lossRetry; the armed retry (an empty batch) tries them too
	// (searchhold.go).
	w.keepHeld = w.heldFailing && len(items) > 0 && time.Now().Before(w.heldRetryAt)
	kept := w.keepHeld
	t, jobs, err := w.tryCommit(items)
	if w.wroteHeld {
		w.heldWritten(err)
	}
	if err != nil && w.wroteHeld {
		if onlyHeld {
			w.afterCommitHeld(true)
			return // nothing else to commit
		}
		// The batch carried the texts held over earlier commits (a
		// full disk refuses them more readily than the batch): it goes
		// again without them.
		w.keepHeld, kept = true, true
		t, jobs, err = w.tryCommit(items)
	}
	if err != nil {
		u := asUnavailable(err)
		w.loss.record(items, u, &w.s.lost)
		w.keepHeld, kept = true, true // the salvage is about the jobs
		t, jobs, err = w.salvage(items, u)
		if err != nil {
			w.afterCommitHeld(kept)
			w.failed(jobs, asUnavailable(err))
			return
		}
	}
	// (before the jobs are answered: a caller of Sync finds the writer's
	// state settled)
	w.afterCommitHeld(kept)
	w.committed(t, jobs)
}

// tryCommit runs items in one transaction: first what earlier failed
// commits left to report (loss.go), then the items. On failure everything
// is rolled back and the writer's state restored; the loss record is left
// for the next attempt, and the jobs returned are all those of items, run
// or not, so that the caller answers every one.
func (w *writer) tryCommit(items []item) (*wtx, []*job, error) {
	ctx := context.Background()
	t := &wtx{
		w:        w,
		ctx:      ctx,
		now:      w.s.opts.Now(),
		emitted:  make([]event.Event, 0, len(items)),
		blk:      &w.blk,
		activity: map[string]int64{},
		dirty:    map[*stream]bool{},
	}
	var jobs []*job
	held := w.held.mark()
	w.wroteHeld = false
	err := func() error {
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		t.tx = tx
		t.pushFrame()
		if err := w.loss.report(t); err != nil {
			return err
		}
		for i := range items {
			it := &items[i]
			if it.job == nil {
				if _, err := t.emitPre(it.ev, &it.pre); err != nil {
					return err
				}
				continue
			}
			jobs = append(jobs, it.job)
			t.withJob = true
			if it.job.fn == nil {
				continue
			}
			if err := t.runJob(it.job); err != nil {
				return err
			}
		}
		if err := t.finish(); err != nil {
			return err
		}
		return tx.Commit()
	}()
	w.blk.reset() // a failed batch may leave a block behind
	if err != nil {
		if t.tx != nil {
			t.tx.Rollback()
			t.undo(t.frames[0])
		}
		w.held.rewind(held)
		// Every job of the batch, also those behind the failure that
		// never ran: each must be answered (or kept).
		return nil, jobsOf(items), err
	}
	w.loss = lossLog{} // report ran in this transaction
	return t, jobs, nil
}

// asUnavailable classifies a commit failure; anything that is not one of
// the environmental kinds counts as an I/O error of the append.
func asUnavailable(err error) *Unavailable {
	var u *Unavailable
	if errors.As(classify("append", err), &u) {
		return u
	}
	return &Unavailable{Op: "append", Kind: ErrIO, Err: err}
}

// failed answers the jobs of a batch that could not be committed, even
// without its events, and arranges a retry of what is left to report.
func (w *writer) failed(jobs []*job, u *Unavailable) {
	w.s.health.Store(u)
	for _, j := range jobs {
		if !j.answered {
			j.out = nil // what a rolled-back attempt answered did not happen
		}
		j.answered = true
		if j.keep && j.fn != nil {
			// Not lost: applied, in order, by the next commit that works.
			w.loss.kept = append(w.loss.kept, j)
			kept := *u
			kept.Kept = true
			j.done <- &kept
			continue
		}
		j.done <- u
	}
	w.armRetry()
	if f := w.s.opts.OnError; f != nil {
		if err := w.errs.fail(time.Now(), u); err != nil {
			f(err)
		}
	}
}

// committed publishes a committed batch and answers its jobs.
func (w *writer) committed(t *wtx, jobs []*job) {
	w.s.health.Store(nil)
	w.errs = failureLog{}
	if len(jobs) > 0 {
		// Jobs may change session rows: the cached session list is
		// stale. (Before publishing, so that a client reacting to an
		// event lists the new state.)
		w.s.recGen.Add(1)
	}
	if len(jobs) > 0 || len(t.activity) > 0 {
		// Events move last_activity and the event counts, which the
		// caches may show up to ActivityStaleness late.
		w.s.listGen.Add(1)
	}
	if len(t.emitted) > 0 && w.s.opts.Publish != nil {
		w.s.opts.Publish(t.emitted)
	}
	for _, j := range jobs {
		if j.answered {
			continue // a kept job, answered when its first commit failed
		}
		j.answered = true
		j.done <- j.err
	}
	w.afterCommit()
}

// Append queues events for the log and returns at once; the writer commits
// them within milliseconds and only then publishes them. Seq and Cursor
// are assigned at commit (values set by the caller are ignored); a zero
// Time is set to the commit time. Events with an empty SessionID go to the
// system stream. Append blocks only while the queue is full, and fails only
// when the store is closed or read-only; a commit that fails later (disk
// full) is reported by Health, by AppendWait callers in the same batch, and
// by an "error" event in the system stream once writing works again.
//
// The caller must not modify Data or Raw after the call.
func (s *Store) Append(evs ...event.Event) error {
	if err := s.writable("append"); err != nil {
		return err
	}
	return s.w.enqueueEvents(evs)
}

// AppendWait appends events like Append and waits until they are committed,
// returning them with Seq, Cursor and Time set.
func (s *Store) AppendWait(ctx context.Context, evs ...event.Event) ([]event.Event, error) {
	if err := s.writable("append"); err != nil {
		return nil, err
	}
	out := make([]event.Event, 0, len(evs))
	pre := make([]searchPre, len(evs))
	for i := range evs {
		pre[i] = preIndex(&evs[i])
	}
	_, err := s.w.submit(ctx, func(t *wtx) error {
		out = out[:0]
		for i, ev := range evs {
			e, err := t.emitPre(ev, &pre[i])
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	}, false)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Sync waits until every event appended before the call is committed (and
// published). It returns the commit error of that last batch, if any.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.writable("sync"); err != nil {
		return err
	}
	j := &job{done: make(chan error, 1)}
	if err := s.w.enqueue(item{job: j}); err != nil {
		return err
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write runs fn in the writer transaction and waits for its commit.
func (s *Store) write(ctx context.Context, op string, fn func(t *wtx) error) error {
	_, err := s.writeJob(ctx, op, fn, false)
	return err
}

// writeKept is write for a job the store must not drop when the disk
// refuses it: its error is then an *Unavailable with Kept set, and the
// job runs again, in order, in the next commit that succeeds.
func (s *Store) writeKept(ctx context.Context, op string, fn func(t *wtx) error) (any, error) {
	return s.writeJob(ctx, op, fn, true)
}

// writeJob runs fn in the writer and returns what it gave wtx.answer.
func (s *Store) writeJob(ctx context.Context, op string, fn func(t *wtx) error, keep bool) (any, error) {
	if err := s.writable(op); err != nil {
		return nil, err
	}
	out, err := s.w.submit(ctx, fn, keep)
	if err != nil {
		return out, classify(op, err)
	}
	return out, nil
}
