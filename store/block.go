package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/event"
)

// The event log is stored in blocks: one row of event_blocks holds a run of
// events of one stream whose sequence numbers and cursors are both
// consecutive (the writer starts a new block whenever either would not be).
// A row per event costs SQLite a B-tree insert into the table and one into
// every index, plus the binding of each column; a block pays that once for
// up to blockMaxEvents events, which is what lets the log keep up with an
// agent's output at full speed (docs/store.md, "Event blocks").
//
// Every event keeps its own seq, cursor, time, kind, run, process, data
// and raw: a block is a storage unit, never a change of what is stored.
const (
	// blockMaxEvents bounds the events of one block. Readers never rely on
	// it (they find the block holding a seq through the indexes), so it may
	// change between releases.
	blockMaxEvents = 64
	// blockTargetBytes closes a block once its body reaches this size, so
	// that reading one event never decodes much more than it needs.
	blockTargetBytes = 64 << 10
	// blockFormat is the first byte of every body.
	blockFormat = 1
)

var errBadBlock = errors.New("store: malformed event block")

// block is the writer's block under construction.
type block struct {
	n           int
	sid         int64
	firstCursor int64
	firstSeq    int64
	prevTime    int64
	body        []byte
}

func (b *block) reset() {
	b.n, b.body = 0, b.body[:0]
}

// fits reports whether ev (already given its Seq and Cursor) can extend the
// block.
func (b *block) fits(sid int64, ev *event.Event) bool {
	return b.n > 0 && b.n < blockMaxEvents && len(b.body) < blockTargetBytes && b.sid == sid &&
		ev.Seq == b.firstSeq+int64(b.n) && ev.Cursor == b.firstCursor+int64(b.n)
}

// start begins a block with ev.
func (b *block) start(sid int64, ev *event.Event) {
	b.n, b.sid = 0, sid
	b.firstCursor, b.firstSeq, b.prevTime = ev.Cursor, ev.Seq, 0
	b.body = append(b.body[:0], blockFormat)
}

// add appends ev to the body:
//
//	varint  time, unix ns, as the difference from the previous event's
//	uvarint len(kind), kind
//	uvarint len(run id), run id
//	uvarint len(process id), process id
//	uvarint len(data), data
//	uvarint len(raw), raw
//
// An empty string or payload reads back as absent, as a NULL column did.
func (b *block) add(ev *event.Event) {
	ns := ev.Time.UnixNano()
	b.body = binary.AppendVarint(b.body, ns-b.prevTime)
	b.prevTime = ns
	b.body = appendField(b.body, ev.Kind)
	b.body = appendField(b.body, ev.RunID)
	b.body = appendField(b.body, ev.ProcessID)
	b.body = appendField(b.body, ev.Data)
	b.body = appendField(b.body, ev.Raw)
	b.n++
}

func appendField[T string | []byte | json.RawMessage](dst []byte, v T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// lastSeq is the seq of the block's last event.
func (b *block) lastSeq() int64 { return b.firstSeq + int64(b.n) - 1 }

// encodeBlock makes the body of evs, which must be consecutive events of
// one stream. It is used when retention rewrites a block.
func encodeBlock(dst []byte, evs []event.Event) []byte {
	b := block{body: dst}
	b.start(0, &evs[0])
	for i := range evs {
		b.add(&evs[i])
	}
	return b.body
}

// decodeBlock appends the events of one block to dst. Data and Raw alias
// body, which the caller must not reuse.
func decodeBlock(dst []event.Event, session string, firstCursor, firstSeq, lastSeq int64, body []byte) ([]event.Event, error) {
	if len(body) == 0 || body[0] != blockFormat {
		return dst, fmt.Errorf("%w (stream %q, seq %d: format)", errBadBlock, session, firstSeq)
	}
	if lastSeq < firstSeq {
		// A block holds at least one event: the row itself is damaged.
		return dst, fmt.Errorf("%w (stream %q, seq %d: last seq %d before the first)", errBadBlock, session, firstSeq, lastSeq)
	}
	p := body[1:]
	var t int64
	for seq, cur := firstSeq, firstCursor; seq <= lastSeq; seq, cur = seq+1, cur+1 {
		d, k := binary.Varint(p)
		if k <= 0 {
			return dst, fmt.Errorf("%w (stream %q, seq %d: time)", errBadBlock, session, seq)
		}
		p = p[k:]
		t += d
		ev := event.Event{Seq: seq, Cursor: cur, SessionID: session, Time: time.Unix(0, t)}
		var f [5][]byte
		for i := range f {
			l, k := binary.Uvarint(p)
			if k <= 0 || uint64(len(p)-k) < l {
				return dst, fmt.Errorf("%w (stream %q, seq %d: field %d)", errBadBlock, session, seq, i)
			}
			f[i] = p[k : k+int(l) : k+int(l)]
			p = p[k+int(l):]
		}
		ev.Kind, ev.RunID, ev.ProcessID = string(f[0]), string(f[1]), string(f[2])
		if len(f[3]) > 0 {
			ev.Data = f[3]
		}
		if len(f[4]) > 0 {
			ev.Raw = f[4]
		}
		dst = append(dst, ev)
	}
	if len(p) != 0 {
		return dst, fmt.Errorf("%w (stream %q, seq %d: %d trailing bytes)", errBadBlock, session, firstSeq, len(p))
	}
	return dst, nil
}
