package store

import (
	"context"
	"errors"
	"time"
)

// The events a database held before the search index existed (migration
// 4) are indexed after Open by a goroutine that submits writer jobs, each
// indexing the events of at most backfillBlocks blocks (at most 4,096
// events) in cursor order. A job is small, so the appends queued beside
// it wait for it no longer than for one more batch; and it is one
// transaction with its progress mark (meta search_done, the last cursor
// indexed), so a crash resumes where the last step ended.
const (
	backfillBlocks = 64
	// From backfillLogAboveDefault events to index (counted by cursor)
	// the backfill logs its progress, every backfillLogEvery.
	backfillLogAboveDefault = 100_000
	backfillLogEvery        = 10 * time.Second
)

// backfillLogAbove is backfillLogAboveDefault; tests lower it.
var backfillLogAbove int64 = backfillLogAboveDefault

// backfillProgress is a step's answer: the last cursor indexed before and
// after it, and the last one to index.
type backfillProgress struct{ from, done, upto int64 }

// backfillSearch runs the backfill steps until nothing is left or the
// store closes. A failing step (disk full) is tried again a second later.
func (s *Store) backfillSearch() {
	defer close(s.searchDone)
	ctx := context.Background()
	// First the texts a process that was killed held (searchhold.go).
	if _, err := s.writeJob(ctx, "index held texts again", (*wtx).recoverHeldStreams, false); err != nil && !errors.Is(err, ErrClosed) {
		s.logf("store: indexing again the texts held when corral stopped: %v (they are indexed when their session next gets events)", err)
	}
	var start backfillProgress
	var lastLog time.Time
	for first := true; ; first = false {
		out, err := s.writeJob(ctx, "index for search", (*wtx).backfillStep, false)
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			s.logf("store: indexing stored events for search: %v (trying again)", err)
			select {
			case <-s.ckStop:
				return
			case <-time.After(time.Second):
			}
			continue
		}
		p, _ := out.(backfillProgress)
		if first {
			start = backfillProgress{done: p.from, upto: p.upto}
		}
		big := start.upto-start.done >= backfillLogAbove
		finished := p.done >= p.upto
		if big && (first || finished || time.Since(lastLog) >= backfillLogEvery) {
			lastLog = time.Now()
			s.logf("store: indexing stored events for search: %d of %d (by cursor)", p.done-start.done, start.upto-start.done)
		}
		if finished {
			return
		}
	}
}

func (s *Store) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// backfillStep indexes the events of the next blocks stored before the
// index existed and moves the progress mark past them.
func (t *wtx) backfillStep() error {
	var p backfillProgress
	err := t.tx.QueryRowContext(t.ctx, `SELECT
(SELECT value FROM meta WHERE key='search_done'), (SELECT value FROM meta WHERE key='search_upto')`).Scan(&p.done, &p.upto)
	if err != nil {
		return err
	}
	p.from = p.done
	if p.done >= p.upto {
		t.answer(p)
		return nil
	}
	blks, sessions, err := t.backfillBlocks(p)
	if err != nil {
		return err
	}
	// The step writes its texts itself, in the transaction that moves
	// the mark past their events: never held (a retry that keeps the held
	// texts would commit the mark without them).
	var own heldIndex
	sink := func(sid int64) docSink {
		return func(cursor, seq int64, kind string, at int64, text string) error {
			own.put(sid, cursor, seq, kind, at, text, t.now)
			return nil
		}
	}
	pending := map[int64]*pendingText{}
	for i, b := range blks {
		if len(b.evs) == 0 {
			continue
		}
		p.done = b.evs[len(b.evs)-1].Cursor
		if sessions[i].session == "" {
			continue // the system stream is not indexed
		}
		sid := sessions[i].sid
		pt := pending[sid]
		if pt == nil {
			pt = &pendingText{}
			pending[sid] = pt
		}
		for j := range b.evs {
			if err := feedIndex(pt, &b.evs[j], sink(sid)); err != nil {
				return err
			}
		}
	}
	for sid, pt := range pending {
		if err := flushPending(pt, sink(sid)); err != nil {
			return err
		}
	}
	if err := t.writeGroups(&own); err != nil {
		return err
	}
	if len(blks) == 0 {
		p.done = p.upto // nothing left below the mark (deleted meanwhile)
	}
	if _, err := t.tx.ExecContext(t.ctx, "UPDATE meta SET value=? WHERE key='search_done'", p.done); err != nil {
		return err
	}
	t.answer(p)
	return nil
}

type blockStream struct {
	sid     int64
	session string
}

// backfillBlocks reads, decoded, the next blocks after the mark: those
// starting after p.done and at or before p.upto. A block that starts at
// or before the mark (the rest of one retention cut) holds only events
// already indexed.
func (t *wtx) backfillBlocks(p backfillProgress) ([]decodedBlock, []blockStream, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT b.first_cursor, b.first_seq, b.last_seq, b.body, b.sid, st.session_id
FROM event_blocks b JOIN streams st ON st.sid = b.sid
WHERE b.first_cursor > ? AND b.first_cursor <= ? ORDER BY b.first_cursor LIMIT ?`, p.done, p.upto, backfillBlocks)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var blks []decodedBlock
	var streams []blockStream
	for rows.Next() {
		var d decodedBlock
		var bs blockStream
		var body []byte
		if err := rows.Scan(&d.firstCursor, &d.firstSeq, &d.lastSeq, &body, &bs.sid, &bs.session); err != nil {
			return nil, nil, err
		}
		if d.evs, err = decodeBlock(nil, bs.session, d.firstCursor, d.firstSeq, d.lastSeq, body); err != nil {
			return nil, nil, err
		}
		blks = append(blks, d)
		streams = append(streams, bs)
	}
	return blks, streams, rows.Err()
}
