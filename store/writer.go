package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/event"
)

// item is one entry of the writer queue: an event to append, or a job.
type item struct {
	ev  event.Event
	job *job
}

// job runs inside the writer's transaction, in queue order with the events
// around it, under a savepoint so that its failure undoes only itself.
// fn may be nil (a barrier: Sync). done receives the outcome after commit.
type job struct {
	fn   func(t *wtx) error
	done chan error
	err  error
	// keep: when the disk refuses the job, it is not dropped but applied
	// by the next commit that succeeds (a run's end, a status change).
	keep bool
}

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
	// left to report (armRetry in loss.go); retryTimer is the pending ask.
	retry      bool
	retryTimer *time.Timer
	// The queue and batch bounds in force (see bounds), and the measured
	// writer time per event they derive from; all guarded by mu.
	qlimit, blimit int
	perEvent       time.Duration

	// Owned by the writer goroutine.
	cursor  int64
	streams map[string]*stream
	loss    lossLog // what failed commits cost, until a commit reports it (loss.go)

	// ins is the block INSERT, prepared once on the write connection and
	// reused by every batch (a statement survives COMMIT and ROLLBACK). It
	// is a driver statement executed with driver.NamedValue arguments,
	// which skips database/sql's per-call argument conversion.
	ins driver.Stmt
	// blk is the block under construction, its body buffer reused.
	blk block

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

// enqueue adds items, blocking while the queue is full.
func (w *writer) enqueue(items ...item) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.waitRoom(len(items)); err != nil {
		return err
	}
	w.q = append(w.q, items...)
	w.cond.Broadcast()
	return nil
}

// enqueueEvents is enqueue for plain events, without an intermediate slice.
func (w *writer) enqueueEvents(evs []event.Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.waitRoom(len(evs)); err != nil {
		return err
	}
	for i := range evs {
		w.q = append(w.q, item{ev: evs[i]})
	}
	w.cond.Broadcast()
	return nil
}

// waitRoom waits (w.mu held) until n items fit in the queue, or the queue
// is empty (a single call larger than the limit is let through whole).
func (w *writer) waitRoom(n int) error {
	for !w.closed && len(w.q)-w.head > 0 && len(w.q)-w.head+n > w.qlimit {
		w.cond.Wait()
	}
	if w.closed {
		return ErrClosed
	}
	return nil
}

// take removes up to MaxBatch items, waiting for at least one. It returns
// false once the writer is closed and drained.
// An armed retry makes it return an empty batch instead of waiting.
func (w *writer) take(buf []item) ([]item, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.q) == w.head && !w.closed && !w.retry {
		w.cond.Wait()
	}
	w.retry = false
	n := min(len(w.q)-w.head, w.blimit)
	if n == 0 {
		return buf[:0], !w.closed
	}
	buf = append(buf[:0], w.q[w.head:w.head+n]...)
	clear(w.q[w.head : w.head+n]) // drop references to Data/Raw early
	w.head += n
	if w.head == len(w.q) {
		w.q, w.head = w.q[:0], 0
	} else if w.head > cap(w.q)/2 {
		k := copy(w.q, w.q[w.head:])
		clear(w.q[k:])
		w.q, w.head = w.q[:k], 0
	}
	w.cond.Broadcast()
	return buf, true
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
	return errors.Join(err, w.conn.Close())
}

func (w *writer) run() {
	defer close(w.done)
	var buf []item
	for {
		var ok bool
		buf, ok = w.take(buf)
		if !ok {
			// A last try at what failed commits left to report.
			w.commit(nil)
			return
		}
		start := time.Now()
		w.commit(buf)
		w.observe(len(buf), time.Since(start))
		clear(buf)
	}
}

// minObserved is the smallest batch whose timing updates the cost
// estimate: below it the fixed cost of a commit dominates and would make
// the per-event cost look far higher than it is in a flood.
const minObserved = 256

// observe folds the writer time of a batch of n items into the per-event
// cost estimate and recomputes the queue and batch bounds.
func (w *writer) observe(n int, d time.Duration) {
	if n < minObserved || w.s.opts.MaxCommitDelay < 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	cost := d / time.Duration(n)
	if w.perEvent == 0 {
		w.perEvent = cost
	} else {
		w.perEvent += (cost - w.perEvent) / 4 // EWMA: a few batches of memory
	}
	q, b := bounds(w.perEvent, &w.s.opts)
	if q > w.qlimit {
		w.cond.Broadcast() // producers waiting for room may now fit
	}
	w.qlimit, w.blimit = q, b
}

// Lower limits of the adaptive bounds: below them batches get so small
// that the fixed cost of each commit would eat the throughput.
const (
	minQueueBound = 512
	minBatchBound = 256
)

// bounds returns the queue and batch bounds for a writer that spends
// perEvent per event. An event waits, in a flood, for the queue ahead of
// it and then for its own batch; with the queue kept at twice the batch
// (the default ratio) that is three batches of writer time, which bounds
// keeps within o.MaxCommitDelay, capped by o.QueueLimit and o.MaxBatch.
func bounds(perEvent time.Duration, o *Options) (queue, batch int) {
	if o.MaxCommitDelay < 0 || perEvent <= 0 {
		return o.QueueLimit, o.MaxBatch
	}
	b := int(o.MaxCommitDelay / (3 * perEvent))
	batch = min(o.MaxBatch, max(b, minBatchBound))
	queue = min(o.QueueLimit, max(2*b, minQueueBound))
	return queue, batch
}

// submit runs fn in the writer and waits for the commit of its batch. With
// keep, a commit the disk refuses does not drop the job (see job.keep).
func (w *writer) submit(ctx context.Context, fn func(t *wtx) error, keep bool) error {
	j := &job{fn: fn, done: make(chan error, 1), keep: keep}
	if err := w.enqueue(item{job: j}); err != nil {
		return err
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		// The job still runs; only the caller stops waiting.
		return ctx.Err()
	}
}

// wtx is one writer transaction.
type wtx struct {
	w       *writer
	ctx     context.Context
	tx      *sql.Tx
	now     time.Time
	emitted []event.Event
	blk     *block // the block being filled; written by flush

	frames []*undoFrame // [0] is the transaction, [1] the current job

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
		"SELECT sid, last_seq, first_seq, raw_from, events, bytes FROM streams WHERE session_id=?", session).
		Scan(&st.sid, &st.lastSeq, &st.firstSeq, &st.rawFrom, &st.events, &st.bytes)
	if errors.Is(err, sql.ErrNoRows) {
		err = t.tx.QueryRowContext(t.ctx, "INSERT INTO streams(session_id) VALUES(?) RETURNING sid", session).Scan(&st.sid)
		st.firstSeq, st.rawFrom = 1, 1
	}
	if err != nil {
		return nil, err
	}
	t.save(session)
	t.w.streams[session] = st
	return st, nil
}

// emit assigns Seq and Cursor to ev, queues its row, and records it for
// publication after commit.
func (t *wtx) emit(ev event.Event) (event.Event, error) {
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

// commit writes one batch in one transaction and, once it is durable,
// publishes its events and answers its jobs. A batch that fails is written
// again without its plain events (see salvage in loss.go), so that a flood
// that fills the disk does not take the jobs and terminal events queued
// behind it down with it.
func (w *writer) commit(items []item) {
	if len(items) == 0 && !w.loss.pending() {
		return
	}
	t, jobs, err := w.tryCommit(items)
	if err != nil {
		u := asUnavailable(err)
		w.loss.record(items, u, &w.s.lost)
		t, jobs, err = w.salvage(items, u)
		if err != nil {
			w.failed(jobs, asUnavailable(err))
			return
		}
	}
	w.committed(t, jobs)
}

// tryCommit runs items in one transaction: first what earlier failed
// commits left to report (loss.go), then the items. On failure everything
// is rolled back and the writer's state restored; the loss record is left
// for the next attempt.
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
				if _, err := t.emit(it.ev); err != nil {
					return err
				}
				continue
			}
			jobs = append(jobs, it.job)
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
		return nil, jobs, err
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
		f(u)
	}
}

// committed publishes a committed batch and answers its jobs.
func (w *writer) committed(t *wtx, jobs []*job) {
	w.s.health.Store(nil)
	if len(jobs) > 0 || len(t.activity) > 0 {
		// Jobs may change session rows and events move last_activity:
		// the cached session list is stale. (Before publishing, so that
		// a client reacting to an event lists the new state.)
		w.s.listGen.Add(1)
		w.s.list.Store(nil)
	}
	if len(t.emitted) > 0 && w.s.opts.Publish != nil {
		w.s.opts.Publish(t.emitted)
	}
	for _, j := range jobs {
		j.done <- j.err
	}
	w.afterCommit()
}

// runJob runs one job under a savepoint. A job's own error is reported to
// its caller and undone; an error of the savepoint machinery aborts the
// whole batch.
func (t *wtx) runJob(j *job) error {
	if err := t.flush(); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, "SAVEPOINT job"); err != nil {
		return err
	}
	t.pushFrame()
	err := j.fn(t)
	if err == nil {
		err = t.flush()
	}
	f := t.frames[len(t.frames)-1]
	t.frames = t.frames[:len(t.frames)-1]
	if err != nil {
		t.blk.reset()
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
			"UPDATE streams SET last_seq=?, first_seq=?, raw_from=?, events=?, bytes=? WHERE sid=?",
			st.lastSeq, st.firstSeq, st.rawFrom, st.events, st.bytes, st.sid); err != nil {
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
	err := s.w.submit(ctx, func(t *wtx) error {
		out = out[:0]
		for _, ev := range evs {
			e, err := t.emit(ev)
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
	return s.writeJob(ctx, op, fn, false)
}

// writeKept is write for a job the store must not drop when the disk
// refuses it: its error is then an *Unavailable with Kept set, and the
// job runs again, in order, in the next commit that succeeds.
func (s *Store) writeKept(ctx context.Context, op string, fn func(t *wtx) error) error {
	return s.writeJob(ctx, op, fn, true)
}

func (s *Store) writeJob(ctx context.Context, op string, fn func(t *wtx) error, keep bool) error {
	if err := s.writable(op); err != nil {
		return err
	}
	err := s.w.submit(ctx, fn, keep)
	if err != nil {
		return classify(op, err)
	}
	return nil
}

var errTrimBug = errors.New("store: retention walked past the end of a stream")

// trim enforces the retention caps on one stream (see Options).
func (t *wtx) trim(st *stream) error {
	o := &t.w.s.opts
	overE := o.MaxEventsPerSession >= 0 && st.events > o.MaxEventsPerSession
	overB := o.MaxBytesPerSession >= 0 && st.bytes > o.MaxBytesPerSession
	if !overE && !overB {
		return nil
	}
	if t.w.streams[st.session] != st {
		return nil // deleted in this batch
	}
	t.save(st.session)
	lowE := o.MaxEventsPerSession * 9 / 10
	lowB := o.MaxBytesPerSession * 9 / 10
	type info struct {
		RawDroppedThrough int64 `json:"rawDroppedThrough,omitempty"`
		RawEvents         int64 `json:"rawEvents,omitempty"`
		RawBytes          int64 `json:"rawBytes,omitempty"`
		DeletedThrough    int64 `json:"deletedThrough,omitempty"`
		DeletedEvents     int64 `json:"deletedEvents,omitempty"`
		DeletedBytes      int64 `json:"deletedBytes,omitempty"`
		MaxEvents         int64 `json:"maxEvents"`
		MaxBytes          int64 `json:"maxBytes"`
	}
	var rep info
	rep.MaxEvents, rep.MaxBytes = o.MaxEventsPerSession, o.MaxBytesPerSession

	// 1. Raw payloads go first: they are the bulk and the normalized Data
	// keeps the meaning.
	if overB {
		need := st.bytes - lowB
		from := st.rawFrom
		var freed, n, upto int64
	rawWalk:
		for freed < need {
			blks, err := t.readBlocks(st, from, 16)
			if err != nil {
				return err
			}
			if len(blks) == 0 {
				break
			}
			for _, blk := range blks {
				changed := false
				for i := range blk.evs {
					ev := &blk.evs[i]
					if ev.Seq < from || len(ev.Raw) == 0 {
						continue
					}
					if freed >= need {
						break
					}
					freed += int64(len(ev.Raw))
					n++
					upto = ev.Seq
					ev.Raw = nil
					changed = true
				}
				if changed {
					if _, err := t.tx.ExecContext(t.ctx, "UPDATE event_blocks SET body=? WHERE first_cursor=?",
						encodeBlock(nil, blk.evs), blk.firstCursor); err != nil {
						return err
					}
				}
				from = blk.lastSeq + 1
				if freed >= need {
					break rawWalk
				}
			}
		}
		if n > 0 {
			st.bytes -= freed
			st.rawFrom = upto + 1
			rep.RawDroppedThrough, rep.RawEvents, rep.RawBytes = upto, n, freed
		} else if st.rawFrom <= st.lastSeq {
			st.rawFrom = st.lastSeq + 1
		}
	}

	// 2. Then whole events, oldest first, if still over a cap.
	needE := int64(0)
	if o.MaxEventsPerSession >= 0 && st.events > o.MaxEventsPerSession {
		needE = st.events - lowE
	}
	needB := int64(0)
	if o.MaxBytesPerSession >= 0 && st.bytes > o.MaxBytesPerSession {
		needB = st.bytes - lowB
	}
	if needE > 0 || needB > 0 {
		from := st.firstSeq
		var n, b, upto int64
		var cut *decodedBlock // the block that holds upto, unless upto is its last event
	walk:
		for n < needE || b < needB {
			blks, err := t.readBlocks(st, from, 16)
			if err != nil {
				return err
			}
			if len(blks) == 0 {
				if n == 0 {
					return fmt.Errorf("%w (stream %q)", errTrimBug, st.session)
				}
				break
			}
			for bi := range blks {
				blk := &blks[bi]
				for i := range blk.evs {
					ev := &blk.evs[i]
					if ev.Seq < from {
						continue
					}
					n++
					b += int64(len(ev.Data) + len(ev.Raw))
					upto = ev.Seq
					if n >= needE && b >= needB {
						if upto < blk.lastSeq {
							cut = blk
						}
						break walk
					}
				}
				from = blk.lastSeq + 1
			}
		}
		if _, err := t.tx.ExecContext(t.ctx,
			"DELETE FROM event_blocks WHERE sid=? AND first_seq<=? AND last_seq<=?", st.sid, upto, upto); err != nil {
			return err
		}
		if cut != nil {
			// Keep the rest of the block: it becomes a block of its own,
			// starting at the first kept event's cursor and seq.
			k := upto + 1 - cut.firstSeq
			rest := cut.evs[k:]
			if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM event_blocks WHERE first_cursor=?", cut.firstCursor); err != nil {
				return err
			}
			if _, err := t.tx.ExecContext(t.ctx, insertBlockSQL,
				rest[0].Cursor, st.sid, rest[0].Seq, cut.lastSeq, encodeBlock(nil, rest)); err != nil {
				return err
			}
		}
		st.firstSeq = upto + 1
		st.events -= n
		st.bytes -= b
		if st.rawFrom < st.firstSeq {
			st.rawFrom = st.firstSeq
		}
		rep.DeletedThrough, rep.DeletedEvents, rep.DeletedBytes = upto, n, b
	}
	marker := event.New(event.Trimmed, rep)
	marker.SessionID = st.session
	marker.Time = t.now
	_, err := t.emit(marker)
	return err
}

// decodedBlock is one event_blocks row, decoded.
type decodedBlock struct {
	firstCursor, firstSeq, lastSeq int64
	evs                            []event.Event
}

// readBlocks returns up to max blocks of a stream in seq order, starting
// with the one that holds seq from (or the first one after it).
func (t *wtx) readBlocks(st *stream, from int64, max int) ([]decodedBlock, error) {
	rows, err := t.tx.QueryContext(t.ctx, blocksFromSQL+" LIMIT ?", st.sid, st.sid, from, max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []decodedBlock
	for rows.Next() {
		var d decodedBlock
		var body []byte
		if err := rows.Scan(&d.firstCursor, &d.firstSeq, &d.lastSeq, &body); err != nil {
			return nil, err
		}
		if d.evs, err = decodeBlock(nil, st.session, d.firstCursor, d.firstSeq, d.lastSeq, body); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
