package store

import (
	"errors"
	"fmt"

	"github.com/corral-dev/corral/event"
)

var errTrimBug = errors.New("store: retention walked past the end of a stream")

// trimReport is the data of the event.Trimmed marker that trim appends.
type trimReport struct {
	RawDroppedThrough int64 `json:"rawDroppedThrough,omitempty"`
	RawEvents         int64 `json:"rawEvents,omitempty"`
	RawBytes          int64 `json:"rawBytes,omitempty"`
	DeletedThrough    int64 `json:"deletedThrough,omitempty"`
	DeletedEvents     int64 `json:"deletedEvents,omitempty"`
	DeletedBytes      int64 `json:"deletedBytes,omitempty"`
	MaxEvents         int64 `json:"maxEvents"`
	MaxBytes          int64 `json:"maxBytes"`
}

// trimNeeds returns how many events and bytes must go for a stream of
// events events and bytes bytes to be back at 90% of the caps (a negative
// cap is no cap); zero when the stream is within that cap.
func trimNeeds(events, bytes int64, o *Options) (needE, needB int64) {
	if o.MaxEventsPerSession >= 0 && events > o.MaxEventsPerSession {
		needE = events - o.MaxEventsPerSession*9/10
	}
	if o.MaxBytesPerSession >= 0 && bytes > o.MaxBytesPerSession {
		needB = bytes - o.MaxBytesPerSession*9/10
	}
	return needE, needB
}

// trim enforces the retention caps on one stream (see Options).
func (t *wtx) trim(st *stream) error {
	o := &t.w.s.opts
	needE, needB := trimNeeds(st.events, st.bytes, o)
	if needE == 0 && needB == 0 {
		return nil
	}
	if t.w.streams[st.session] != st {
		return nil // deleted in this batch
	}
	t.save(st.session)
	rep := trimReport{MaxEvents: o.MaxEventsPerSession, MaxBytes: o.MaxBytesPerSession}

	// 1. Raw payloads go first: they are the bulk and the normalized Data
	// keeps the meaning.
	if needB > 0 {
		if err := t.trimRaw(st, needB, &rep); err != nil {
			return err
		}
	}
	// 2. Then whole events, oldest first, if still over a cap.
	if needE, needB = trimNeeds(st.events, st.bytes, o); needE > 0 || needB > 0 {
		if err := t.trimEvents(st, needE, needB, &rep); err != nil {
			return err
		}
	}
	marker := event.New(event.Trimmed, rep)
	marker.SessionID = st.session
	marker.Time = t.now
	_, err := t.emit(marker)
	return err
}

// trimRaw drops the raw payloads of the oldest events that still have one
// until need bytes are freed or none are left, and records it in rep.
func (t *wtx) trimRaw(st *stream, need int64, rep *trimReport) error {
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
	return nil
}

// trimEvents deletes the oldest events of a stream until at least needE
// events and needB bytes are gone, and records it in rep.
func (t *wtx) trimEvents(st *stream, needE, needB int64, rep *trimReport) error {
	from := st.firstSeq
	var n, b, upto, uptoCursor int64
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
				upto, uptoCursor = ev.Seq, ev.Cursor
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
	if err := t.deleteThrough(st, upto, cut); err != nil {
		return err
	}
	if err := t.unindexStream(st, uptoCursor); err != nil {
		return err
	}
	st.firstSeq = upto + 1
	st.events -= n
	st.bytes -= b
	if st.rawFrom < st.firstSeq {
		st.rawFrom = st.firstSeq
	}
	rep.DeletedThrough, rep.DeletedEvents, rep.DeletedBytes = upto, n, b
	return nil
}

// deleteThrough deletes the blocks of a stream up to seq upto; cut, when
// not nil, is the block that holds upto with later events after it, whose
// rest is kept.
func (t *wtx) deleteThrough(st *stream, upto int64, cut *decodedBlock) error {
	if _, err := t.tx.ExecContext(t.ctx,
		"DELETE FROM event_blocks WHERE sid=? AND first_seq<=? AND last_seq<=?", st.sid, upto, upto); err != nil {
		return err
	}
	if cut == nil {
		return nil
	}
	// Keep the rest of the block: it becomes a block of its own,
	// starting at the first kept event's cursor and seq.
	k := upto + 1 - cut.firstSeq
	rest := cut.evs[k:]
	if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM event_blocks WHERE first_cursor=?", cut.firstCursor); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(t.ctx, insertBlockSQL,
		rest[0].Cursor, st.sid, rest[0].Seq, cut.lastSeq, encodeBlock(nil, rest))
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
