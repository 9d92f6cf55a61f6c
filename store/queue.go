package store

import (
	"context"
	"time"

	"github.com/corral-dev/corral/event"
)

// item is one entry of the writer queue: an event to append, or a job.
type item struct {
	ev  event.Event
	job *job
	// pre is what the search index takes from ev, worked out by the
	// appending goroutine (preIndex) so that the writer does not decode
	// event data in its hot path.
	pre searchPre
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
	// out is the job's result (wtx.answer), read by the caller once done
	// delivered its outcome. answered is set when that outcome was sent:
	// a kept job that runs again afterwards no longer touches out.
	out      any
	answered bool
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

// enqueueEvents is enqueue for plain events. Their search text is worked
// out here, on the caller's goroutine and before the queue's lock.
func (w *writer) enqueueEvents(evs []event.Event) error {
	pre := make([]searchPre, len(evs))
	for i := range evs {
		pre[i] = preIndex(&evs[i])
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.waitRoom(len(evs)); err != nil {
		return err
	}
	for i := range evs {
		w.q = append(w.q, item{ev: evs[i], pre: pre[i]})
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

// submit runs fn in the writer and waits for the commit of its batch,
// returning what fn gave wtx.answer (nil unless the job committed). With
// keep, a commit the disk refuses does not drop the job (see job.keep).
func (w *writer) submit(ctx context.Context, fn func(t *wtx) error, keep bool) (any, error) {
	j := &job{fn: fn, done: make(chan error, 1), keep: keep}
	if err := w.enqueue(item{job: j}); err != nil {
		return nil, err
	}
	select {
	case err := <-j.done:
		return j.out, err
	case <-ctx.Done():
		// The job still runs; only the caller stops waiting (and does not
		// read out, which the writer may still write).
		return nil, ctx.Err()
	}
}
