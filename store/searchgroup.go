package store

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
)

// The search index stores the searchable texts of a stream's events in
// groups: one FTS5 row (a document) holds texts of one stream written
// together (by one transaction, or by one after several under a flood:
// searchhold.go), up to maxGroupDocs texts or maxGroupText bytes, so that
// FTS5's cost per document (its content row, its entries per term and
// document, the rowids in its segments) is paid once for many events.
// The row's columns:
//
//	rowid  the largest cursor of the group's texts
//	body   the texts, each followed by a newline (indexed)
//	sess   "s" + the stream's sid (indexed: the session filter, deletes)
//	docs   what each text belongs to, in body's order (stored only; see
//	       appendDocEntry)
//
// A query finds groups (FTS5) and then the texts in them that match
// (matchDoc), which become the hits.
const searchGroupsSQL = `
DROP TABLE search;
CREATE VIRTUAL TABLE search USING fts5(body, sess, docs UNINDEXED, tokenize='unicode61 remove_diacritics 0', prefix='2 3', columnsize=0);
-- Every event stored before is indexed again in the background: all of
-- them, up to the highest cursor (not the highest block's first, as in
-- migration 4), so that no event of the last block is left to recovery by
-- the writer (recoverPending) as well.
UPDATE meta SET value = (SELECT value FROM meta WHERE key='cursor') WHERE key='search_upto';
UPDATE meta SET value = 0 WHERE key='search_done';
`

const insertGroupSQL = "INSERT INTO search(rowid, body, sess, docs) VALUES(?,?,?,?)"

// Bounds of one group.
const (
	maxGroupDocs = 64
	maxGroupText = 64 << 10
)

// docEntry is one text of a group: the event (or the first piece of the
// streamed message) it comes from, and where it is in the group's body.
type docEntry struct {
	cursor, seq, at int64
	kind            string
	start, end      int // body[start:end] is the text
}

// docGroup is a group being gathered: held by the writer until written
// (searchhold.go).
type docGroup struct {
	body, docs []byte
	n          int
	hi         int64
}

// appendDocEntry encodes one entry of a group's docs column: the cursor,
// seq and time, the kind, and the length of its text, as varints (the
// kind as its length and bytes).
func appendDocEntry(b []byte, cursor, seq, at int64, kind string, textLen int) []byte {
	b = binary.AppendUvarint(b, uint64(cursor))
	b = binary.AppendUvarint(b, uint64(seq))
	b = binary.AppendVarint(b, at)
	b = binary.AppendUvarint(b, uint64(len(kind)))
	b = append(b, kind...)
	return binary.AppendUvarint(b, uint64(textLen))
}

// errBadGroup is a docs column that does not decode.
var errBadGroup = errors.New("store: search group with a damaged docs column")

// decodeDocEntries decodes a group's docs column against its body (of
// bodyLen bytes; -1: unchecked).
func decodeDocEntries(docs []byte, bodyLen int) ([]docEntry, error) {
	var out []docEntry
	pos := 0
	for len(docs) > 0 {
		var e docEntry
		var vals [5]uint64
		for i := range vals {
			var v uint64
			var n int
			if i == 2 {
				var sv int64
				sv, n = binary.Varint(docs)
				v = uint64(sv)
			} else {
				v, n = binary.Uvarint(docs)
			}
			if n <= 0 {
				return nil, errBadGroup
			}
			docs = docs[n:]
			vals[i] = v
			if i == 3 {
				if v > uint64(len(docs)) {
					return nil, errBadGroup
				}
				e.kind = string(docs[:v])
				docs = docs[v:]
			}
		}
		e.cursor, e.seq, e.at = int64(vals[0]), int64(vals[1]), int64(vals[2])
		if bodyLen >= 0 && vals[4] > uint64(bodyLen-pos) {
			return nil, errBadGroup
		}
		e.start, e.end = pos, pos+int(vals[4])
		pos = e.end + 1 // the newline after each text
		out = append(out, e)
	}
	return out, nil
}

// putDoc adds one text to its stream's group among those the writer
// holds (searchhold.go).
func (t *wtx) putDoc(sid, cursor, seq int64, kind string, at int64, text string) error {
	t.w.held.put(sid, cursor, seq, kind, at, text, t.now)
	return nil
}

// flushDocs writes the groups the writer holds: before a job (which may
// delete documents), after it, and before a transaction's retention and
// commit when writeHeld says so. The streams whose texts it writes lose
// their recovery mark.
func (t *wtx) flushDocs() error {
	h := &t.w.held
	if t.w.keepHeld || (h.empty() && len(h.marked) == 0) {
		return nil
	}
	t.w.wroteHeld = true
	if err := t.writeGroups(h); err != nil {
		return err
	}
	t.clearHeldMarks()
	*h = heldIndex{}
	return nil
}

// writeGroups inserts the groups of h, the full ones first.
func (t *wtx) writeGroups(h *heldIndex) error {
	for _, f := range h.full {
		if err := t.w.insertGroup(t.ctx, f.sid, f.g); err != nil {
			return err
		}
	}
	for sid, g := range h.groups {
		if err := t.w.insertGroup(t.ctx, sid, g); err != nil {
			return err
		}
	}
	return nil
}

// insertGroup writes one group on the write connection, inside the open
// transaction, through a statement prepared once (as insertBlock does).
func (w *writer) insertGroup(ctx context.Context, sid int64, g *docGroup) error {
	return w.conn.Raw(func(dc any) error {
		if w.search.ins == nil {
			p, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return fmt.Errorf("store: driver connection %T cannot prepare with a context", dc)
			}
			st, err := p.PrepareContext(ctx, insertGroupSQL)
			if err != nil {
				return err
			}
			w.search.ins = st
		}
		w.s.merger.docs.Add(1)
		x, ok := w.search.ins.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("store: driver statement %T cannot execute with a context", w.search.ins)
		}
		_, err := x.ExecContext(ctx, []driver.NamedValue{
			{Ordinal: 1, Value: g.hi},
			{Ordinal: 2, Value: string(g.body)},
			{Ordinal: 3, Value: sessToken(sid)},
			{Ordinal: 4, Value: g.docs},
		})
		return err
	})
}

// indexedCursors returns the cursors of a stream's indexed texts from
// cursor from on (recoverPending: the texts a message already has).
func (t *wtx) indexedCursors(sid, from int64) (map[int64]bool, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT docs FROM search WHERE search MATCH ? AND rowid >= ?", sessMatch(sid), from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var docs []byte
		if err := rows.Scan(&docs); err != nil {
			return nil, err
		}
		es, err := decodeDocEntries(docs, -1)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			out[e.cursor] = true
		}
	}
	return out, rows.Err()
}
