package store

import (
	"database/sql/driver"
	"slices"
	"strconv"

	"github.com/corral-dev/corral/event"
)

// The first search index (migration 4) had one row per searchable event;
// migration 15 replaced it by groups of texts (searchgroup.go). What goes
// in: the writer works out each event's texts as it stores it, and writes
// them in that transaction or, under a flood, a later one (searchhold.go).
// Streamed assistant text arrives in pieces (deltas) that split words; the
// writer gathers the pieces of a message in its stream's pendingText and
// indexes them as one text when the message ends: at the next tool
// call, tool result, prompt, error, turn end or run end, or when it
// reaches maxDocText. A whole message (an agent that sends both) replaces
// its pieces, so it is indexed once. Pieces committed by a process killed
// mid-message are gathered again when the stream is next loaded
// (recoverPending).
const searchSchemaSQL = `
CREATE VIRTUAL TABLE search USING fts5(body, sess, kind UNINDEXED, seq UNINDEXED, at UNINDEXED, tokenize='unicode61', prefix='2 3', columnsize=0);
-- Events stored before the index existed are indexed in the background,
-- in cursor order, from search_done (exclusive) to search_upto.
INSERT INTO meta(key, value) VALUES ('search_upto', ifnull((SELECT max(first_cursor) FROM event_blocks), 0));
INSERT INTO meta(key, value) VALUES ('search_done', 0);
`

// pendingText is the streamed message a stream is gathering for the
// index. buf is nil when there is none; it is only ever appended to or
// set to nil, never resliced for reuse, because the undo frames of the
// writer keep copies of the stream that share its backing array.
type pendingText struct {
	cursor, seq, at int64
	buf             []byte
}

// searchWriter holds the writer's prepared group insert.
type searchWriter struct {
	ins driver.Stmt
}

func (sw *searchWriter) close() error {
	if sw.ins == nil {
		return nil
	}
	err := sw.ins.Close()
	sw.ins = nil
	return err
}

// docSink writes one document of the index.
type docSink func(cursor, seq int64, kind string, at int64, text string) error

// feedIndex applies one event to the index: it writes the documents the
// event ends or makes through put, and gathers streamed pieces in p.
func feedIndex(p *pendingText, ev *event.Event, put docSink) error {
	text, act := searchText(ev)
	return feedText(p, ev, text, act, put)
}

// feedText is feedIndex with the event's search text already known.
func feedText(p *pendingText, ev *event.Event, text string, act indexAction, put docSink) error {
	switch act {
	case ixNone:
		return nil
	case ixDelta:
		if text == "" {
			return nil
		}
		if p.buf == nil {
			*p = pendingText{cursor: ev.Cursor, seq: ev.Seq, at: ev.Time.UnixNano()}
		}
		p.buf = append(p.buf, text...)
		if len(p.buf) >= maxDocText {
			return flushPending(p, put)
		}
		return nil
	case ixWhole:
		*p = pendingText{} // the whole message repeats its pieces
		return put(ev.Cursor, ev.Seq, ev.Kind, ev.Time.UnixNano(), text)
	}
	if err := flushPending(p, put); err != nil {
		return err
	}
	if act == ixDoc {
		return put(ev.Cursor, ev.Seq, ev.Kind, ev.Time.UnixNano(), text)
	}
	return nil
}

// flushPending indexes the gathered message of p, if any, and clears it.
func flushPending(p *pendingText, put docSink) error {
	if p.buf == nil {
		return nil
	}
	q := *p
	*p = pendingText{}
	return put(q.cursor, q.seq, event.AssistantText, q.at, cleanText(string(q.buf), maxDocText))
}

func sessToken(sid int64) string { return "s" + strconv.FormatInt(sid, 10) }

// sessMatch is the FTS5 expression of every document of a stream.
func sessMatch(sid int64) string { return `sess : "` + sessToken(sid) + `"` }

// index applies a just emitted event of st to the search index, with its
// search text from pre when the appending goroutine worked it out. The
// system stream (session "") is not indexed.
func (t *wtx) index(st *stream, ev *event.Event, pre *searchPre) error {
	if st.session == "" {
		return nil
	}
	if pre != nil && pre.ok {
		return feedText(&st.msg, ev, pre.text, pre.act, t.streamSink(st))
	}
	return feedIndex(&st.msg, ev, t.streamSink(st))
}

func (t *wtx) docSink(sid int64) docSink {
	return func(cursor, seq int64, kind string, at int64, text string) error {
		return t.putDoc(sid, cursor, seq, kind, at, text)
	}
}

// unindexStream deletes the groups of a stream whose texts all have a
// cursor of at most through, and a gathered message that starts there. A
// group with texts on both sides stays; SearchEvents skips its texts
// below the stream's first seq.
func (t *wtx) unindexStream(st *stream, through int64) error {
	if st.msg.buf != nil && st.msg.cursor <= through {
		t.save(st.session)
		st.msg = pendingText{}
	}
	_, err := t.tx.ExecContext(t.ctx,
		"DELETE FROM search WHERE rowid IN (SELECT rowid FROM search WHERE search MATCH ? AND rowid <= ?)",
		sessMatch(st.sid), through)
	return err
}

// unindexSession deletes every document of a session's stream, if it has
// one (DeleteSession, before it deletes the stream row).
func (t *wtx) unindexSession(session string) error {
	sid, ok, err := streamSID(t.ctx, t.tx, session)
	if err != nil || !ok {
		return err
	}
	t.w.held.dropStream(sid)
	_, err = t.tx.ExecContext(t.ctx,
		"DELETE FROM search WHERE rowid IN (SELECT rowid FROM search WHERE search MATCH ?)", sessMatch(sid))
	return err
}

// flushAllPending indexes the messages every stream is still gathering:
// the last job of a closing writer, so that what was streamed before a
// shutdown is searchable afterwards.
func (t *wtx) flushAllPending() error {
	for session, st := range t.w.streams {
		if st.msg.buf == nil {
			continue
		}
		t.save(session)
		if err := flushPending(&st.msg, t.docSink(st.sid)); err != nil {
			return err
		}
	}
	return nil
}

// closingItems is what a closing writer commits last: a job that indexes
// the gathered messages and writes the held texts, when there are any.
func (w *writer) closingItems() []item {
	if !w.held.empty() {
		return []item{{job: &job{fn: (*wtx).flushAllPending, done: make(chan error, 1)}}}
	}
	for _, st := range w.streams {
		if st.msg.buf != nil {
			return []item{{job: &job{fn: (*wtx).flushAllPending, done: make(chan error, 1)}}}
		}
	}
	return nil
}

// maxRecoverBlocks bounds how many of a stream's newest blocks
// recoverPending reads back to find where its open message starts.
const maxRecoverBlocks = 256

// recoverPending rebuilds, when the writer loads a stream from the
// database, the streamed message the stream's last events left open: the
// pieces a process committed before it was killed mid-message, which it
// only held in memory for the index. The pieces after the stream's last
// message end (read back through at most maxRecoverBlocks blocks, and not
// below search_upto, which the background indexer covers) are fed to the
// index again: the documents a long message already flushed (maxDocText)
// are skipped, and the rest becomes st.msg, indexed at the next message
// end or when the writer closes, unless a clean close indexed it already.
func (t *wtx) recoverPending(st *stream) error {
	if st.session == "" {
		return nil
	}
	tail, err := t.openMessageTail(st)
	if err != nil || len(tail) == 0 {
		return err
	}
	have, err := t.indexedCursors(st.sid, tail[0].Cursor)
	if err != nil {
		return err
	}
	sink := t.streamSink(st)
	put := func(cursor, seq int64, kind string, at int64, text string) error {
		if have[cursor] {
			return nil
		}
		return sink(cursor, seq, kind, at, text)
	}
	var p pendingText
	for i := range tail {
		if err := feedIndex(&p, &tail[i], put); err != nil {
			return err
		}
	}
	if p.buf != nil && !have[p.cursor] {
		st.msg = p
	}
	return nil
}

// openMessageTail returns, oldest first, the message pieces a stream ends
// with after its last event that ends a message (see recoverPending).
func (t *wtx) openMessageTail(st *stream) ([]event.Event, error) {
	var upto int64
	if err := t.tx.QueryRowContext(t.ctx, "SELECT value FROM meta WHERE key='search_upto'").Scan(&upto); err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(t.ctx,
		"SELECT first_cursor, first_seq, last_seq, body FROM event_blocks WHERE sid=? ORDER BY first_seq DESC LIMIT ?",
		st.sid, maxRecoverBlocks)
	if err != nil {
		return nil, err
	}
	var tail []event.Event // newest first
	err = scanBlocks(rows, &st.session, func(evs []event.Event) bool {
		for i := len(evs) - 1; i >= 0; i-- {
			if evs[i].Cursor <= upto {
				return false
			}
			switch _, act := searchText(&evs[i]); act {
			case ixNone:
			case ixDelta:
				tail = append(tail, evs[i])
			default:
				return false
			}
		}
		return true
	})
	slices.Reverse(tail)
	return tail, err
}
