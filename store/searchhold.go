package store

import (
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/event"
)

// Under a flood of appends the texts for the search index are held in
// memory over several commits and written in one. Every transaction that
// writes documents makes FTS5 flush its pending terms into a new segment,
// rewrite its structure record and, every searchCrisisMerge segments,
// merge them: pages that go to the WAL and again to the database at the
// checkpoint whatever the number of texts. Written at every commit of a
// flood, they made indexing cost appends far more than tokenizing the
// texts does (docs/benchmarks.md, "Search").
//
// When: a transaction writes what is held (writeHeld) when no item waits
// in the queue once its batch is done, so that the index is current
// whenever the writer catches up (outside a flood: at every commit, as the
// events are stored); with every job, before and after it (Sync's barrier
// included: what was appended before Sync returns is searchable); and
// when the held texts reach maxHeldTexts, maxHeldBytes or maxHeldAge.
//
// A full disk: a batch that carried held texts and failed goes again at
// once without them (writer.commit), so that the texts of earlier commits
// never cost a batch its events or its jobs. They stay held; for lossRetry
// after a failed write batches keep them, then the next batch tries them,
// or the writer's armed retry (an empty batch) when it is idle
// (heldWritten). While the index cannot be written and events can, what
// is held grows by the texts of those events.
//
// Crash: a process killed while texts are held loses them from memory
// only. Each stream row records the cursor of its first held text
// (search_held, 0: none), in the transaction that holds it, and the
// transaction that writes the texts resets it. A stream's texts are made
// in cursor order, so its held texts are exactly those made from its
// events at and after that cursor. When the writer next loads such a
// stream (at the latest in the job recoverHeldStreams, which Open queues
// first) it feeds those events to the index again (recoverHeld).
const searchHeldSQL = `ALTER TABLE streams ADD COLUMN search_held INTEGER NOT NULL DEFAULT 0;`

// Bounds of what the writer holds for the index.
const (
	maxHeldTexts = 16384
	maxHeldBytes = 8 << 20
	maxHeldAge   = time.Second
)

// holdForTest makes transactions hold the texts whatever the queue and
// Sync's barrier say (jobs that run a function still write them): tests
// of the recovery after a kill set it.
var holdForTest atomic.Bool

// writeHeld reports whether a transaction writes the texts held for the
// index: texts and bytes held, the first of them put age ago; drained when
// no item waits in the queue behind the batch; withJob when the batch
// holds a job.
func writeHeld(texts, bytes int, age time.Duration, drained, withJob bool) bool {
	return texts > 0 && (drained || withJob || texts >= maxHeldTexts || bytes >= maxHeldBytes || age >= maxHeldAge)
}

// The capacity a new group starts with.
const (
	groupBodyCap = 16 << 10
	groupDocsCap = 1 << 10
)

// heldIndex is what the writer holds for the index: the group each stream
// is filling, and the groups that filled, in the order they did.
type heldIndex struct {
	groups map[int64]*docGroup
	full   []heldGroup
	texts  int
	bytes  int       // the texts' bytes and the groups' capacity
	since  time.Time // when the first held text was put
	// marked are the sessions whose stream rows carry a mark
	// (search_held) to clear once the texts are written.
	marked []string
}

type heldGroup struct {
	sid int64
	g   *docGroup
}

// heldMark is a heldIndex as it was when a transaction started, so that a
// transaction that fails gives back exactly what earlier ones held. A
// group is only appended to while held (and dropped, not changed, once
// written), so its lengths are enough.
type heldMark struct {
	groups       []heldLen
	full         []heldGroup
	texts, bytes int
	since        time.Time
	marked       []string
}

type heldLen struct {
	sid        int64
	g          *docGroup
	body, docs int
	n          int
	hi         int64
}

func (h *heldIndex) mark() heldMark {
	m := heldMark{full: h.full[:len(h.full):len(h.full)], texts: h.texts, bytes: h.bytes, since: h.since,
		marked: h.marked[:len(h.marked):len(h.marked)]}
	for sid, g := range h.groups {
		m.groups = append(m.groups, heldLen{sid, g, len(g.body), len(g.docs), g.n, g.hi})
	}
	return m
}

func (h *heldIndex) rewind(m heldMark) {
	h.full, h.texts, h.bytes, h.since, h.marked = m.full, m.texts, m.bytes, m.since, m.marked
	h.groups = make(map[int64]*docGroup, len(m.groups))
	for _, l := range m.groups {
		l.g.body, l.g.docs, l.g.n, l.g.hi = l.g.body[:l.body], l.g.docs[:l.docs], l.n, l.hi
		h.groups[l.sid] = l.g
	}
}

func (h *heldIndex) empty() bool { return h.texts == 0 }

// put adds one text to its stream's group; a full group joins h.full.
func (h *heldIndex) put(sid, cursor, seq int64, kind string, at int64, text string, now time.Time) {
	if h.groups == nil {
		h.groups = map[int64]*docGroup{}
	}
	g := h.groups[sid]
	if g != nil && (g.n >= maxGroupDocs || len(g.body)+len(text) > maxGroupText) {
		h.full = append(h.full, heldGroup{sid, g})
		g = nil
	}
	if g == nil {
		// Sized for a group of a flood's texts, so that it does not grow
		// by doubling (that was half the cost of holding a text).
		g = &docGroup{body: make([]byte, 0, groupBodyCap), docs: make([]byte, 0, groupDocsCap)}
		h.groups[sid] = g
		h.bytes += groupBodyCap + groupDocsCap
	}
	g.body = append(append(g.body, text...), '\n')
	g.docs = appendDocEntry(g.docs, cursor, seq, at, kind, len(text))
	g.n++
	g.hi = max(g.hi, cursor)
	if h.texts == 0 {
		h.since = now
	}
	h.texts++
	h.bytes += len(text) + 1
}

// queueDrained reports whether no item waits in the queue.
func (w *writer) queueDrained() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.q) == w.head
}

// streamSink is the docSink of a stream's live texts: each is held, and
// the first one held since the stream's texts were last written marks the
// stream row (search_held) for recovery after a crash.
func (t *wtx) streamSink(st *stream) docSink {
	return func(cursor, seq int64, kind string, at int64, text string) error {
		if st.searchHeld == 0 {
			t.save(st.session)
			st.searchHeld = cursor
			t.dirty[st] = true
			t.w.held.marked = append(t.w.held.marked, st.session)
		}
		return t.putDoc(st.sid, cursor, seq, kind, at, text)
	}
}

// clearHeldMarks resets the recovery mark of the streams that have one,
// once the held texts are written.
func (t *wtx) clearHeldMarks() {
	for _, session := range t.w.held.marked {
		if st := t.w.streams[session]; st != nil && st.searchHeld != 0 {
			t.save(session)
			st.searchHeld = 0
			t.dirty[st] = true
		}
	}
}

// heldWritten records the outcome of a transaction that wrote held
// texts: after a failure batches keep them for lossRetry, then the next
// batch tries them, or the armed retry (an empty batch, which counts as no
// commit when it fails) on an idle writer, so that a full disk costs about
// one failed attempt a second, not one a batch.
func (w *writer) heldWritten(err error) {
	switch {
	case err != nil:
		if !w.heldFailing {
			w.s.logf("store: writing the search index failed (%v); its texts are held and tried again every %v", err, lossRetry)
		}
		w.heldFailing, w.heldRetryAt = true, time.Now().Add(lossRetry)
	case w.heldFailing:
		w.heldFailing = false
		w.s.logf("store: the search index is written again")
	}
}

// afterCommitHeld ends a commit for the held texts: when texts it kept
// (kept) or that failed are still held, it arms the writer's retry, so
// that they are written even if nothing else comes.
func (w *writer) afterCommitHeld(kept bool) {
	w.keepHeld = false
	if w.held.empty() {
		if w.heldFailing {
			w.heldFailing = false
			w.s.logf("store: no search text is waiting to be written any more")
		}
		return
	}
	if kept || w.heldFailing {
		w.armRetry()
	}
}

// dropStream forgets the texts held for a stream (a deleted session: its
// sid may be given to the next stream created).
func (h *heldIndex) dropStream(sid int64) {
	if g := h.groups[sid]; g != nil {
		delete(h.groups, sid)
		h.texts -= g.n
		h.bytes -= len(g.body) + groupBodyCap + groupDocsCap
	}
	full := make([]heldGroup, 0, len(h.full)) // (a new array: marks share the old one)
	for _, f := range h.full {
		if f.sid != sid {
			full = append(full, f)
			continue
		}
		h.texts -= f.g.n
		h.bytes -= len(f.g.body) + groupBodyCap + groupDocsCap
	}
	h.full = full
}

// recoverHeld feeds to the index again, when the writer loads a stream
// whose row says texts were held when the process ended, the events those
// texts came from: all of the stream's events from st.searchHeld on. The
// message they end with, if open, becomes st.msg.
func (t *wtx) recoverHeld(st *stream) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT first_cursor, first_seq, last_seq, body FROM event_blocks
WHERE sid=? AND first_cursor >= ifnull((SELECT max(first_cursor) FROM event_blocks WHERE sid=? AND first_cursor <= ?), 0)
ORDER BY first_cursor`, st.sid, st.sid, st.searchHeld)
	if err != nil {
		return err
	}
	sink := t.streamSink(st)
	var ferr error
	err = scanBlocks(rows, &st.session, func(evs []event.Event) bool {
		for i := range evs {
			if evs[i].Cursor < st.searchHeld {
				continue
			}
			if ferr = feedIndex(&st.msg, &evs[i], sink); ferr != nil {
				return false
			}
		}
		return true
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// recoverHeldStreams loads every stream whose row says texts were held
// when the process ended, which makes the writer index them again
// (recoverHeld); being a job, it writes them. Its answer is the number of
// such streams.
func (t *wtx) recoverHeldStreams() error {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT session_id FROM streams WHERE search_held > 0")
	if err != nil {
		return err
	}
	var sessions []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		sessions = append(sessions, s)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, s := range sessions {
		if _, err := t.stream(s); err != nil {
			return err
		}
	}
	t.answer(len(sessions))
	return nil
}
