package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"math"
	"slices"

	"github.com/corral-dev/corral/event"
)

// DefaultPage and MaxPage bound the events returned by one read.
const (
	DefaultPage = 500
	MaxPage     = 10000
)

func pageLimit(limit int) int {
	if limit <= 0 {
		return DefaultPage
	}
	return min(limit, MaxPage)
}

type scanner interface{ Scan(dest ...any) error }

// blocksFromSQL selects the blocks of one stream (sid, sid again, seq) in
// seq order, from the block that holds seq or, when none does, the first
// one after it.
const blocksFromSQL = "SELECT first_cursor, first_seq, last_seq, body FROM event_blocks WHERE sid=? AND " +
	"first_seq >= ifnull((SELECT max(first_seq) FROM event_blocks WHERE sid=? AND first_seq<=?), 0) ORDER BY first_seq"

// scanBlocks decodes the rows of a blocks query (first_cursor, first_seq,
// last_seq, body, then session_id when session is nil) and hands each
// block's events to fn until fn returns false. The events of one call are
// valid after it; the slice is reused.
func scanBlocks(rows *sql.Rows, session *string, fn func(evs []event.Event) bool) error {
	defer rows.Close()
	var evs []event.Event
	for rows.Next() {
		var firstCursor, firstSeq, lastSeq int64
		var body []byte
		var sess string
		dest := []any{&firstCursor, &firstSeq, &lastSeq, &body}
		if session == nil {
			dest = append(dest, &sess)
		} else {
			sess = *session
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		var err error
		if evs, err = decodeBlock(evs[:0], sess, firstCursor, firstSeq, lastSeq, body); err != nil {
			return err
		}
		if !fn(evs) {
			break
		}
	}
	return rows.Err()
}

// streamSID returns the sid of a session's stream; ok is false when the
// session has none.
func streamSID(ctx context.Context, q querier, sessionID string) (sid int64, ok bool, err error) {
	err = q.QueryRowContext(ctx, "SELECT sid FROM streams WHERE session_id=?", sessionID).Scan(&sid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return sid, err == nil, err
}

// streamTx opens a read-only transaction and looks up a session's stream
// in it. When the session has no stream, ok is false and tx is nil.
func (s *Store) streamTx(ctx context.Context, sessionID string) (tx *sql.Tx, sid int64, ok bool, err error) {
	tx, err = s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, false, err
	}
	sid, ok, err = streamSID(ctx, tx, sessionID)
	if err != nil || !ok {
		tx.Rollback()
		return nil, 0, false, err
	}
	return tx, sid, true, nil
}

// Events returns up to limit events of one session (the system stream for
// sessionID "") with Seq > since, in Seq order. limit <= 0 means
// DefaultPage; it is capped at MaxPage. Sequence numbers have no gaps
// except where retention deleted the oldest events (a store.trimmed event
// says so).
func (s *Store) Events(sessionID string, since int64, limit int) ([]event.Event, error) {
	return s.events(context.Background(), s.rdb, sessionID, since, pageLimit(limit))
}

// EventsBefore returns the newest events of one session (the system stream
// for sessionID "") with Seq < before, at most limit of them, in ascending
// Seq order; before <= 0 means the newest events of the stream. It reads
// the (sid, first_seq) index backwards, so the cost is that of the page
// whatever the length of the log: it is how a client opens a long session
// at its end and pages towards its beginning. limit is bounded like
// Events'.
func (s *Store) EventsBefore(sessionID string, before int64, limit int) ([]event.Event, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	limit = pageLimit(limit)
	ctx := context.Background()
	tx, sid, ok, err := s.streamTx(ctx, sessionID)
	if err != nil || !ok {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx,
		"SELECT first_cursor, first_seq, last_seq, body FROM event_blocks WHERE sid=? AND first_seq<? ORDER BY first_seq DESC",
		sid, before)
	if err != nil {
		return nil, err
	}
	// Blocks arrive newest first; keep whole blocks until the page is
	// full, then cut the oldest surplus.
	var blocks [][]event.Event
	n := 0
	err = scanBlocks(rows, &sessionID, func(evs []event.Event) bool {
		k := len(evs)
		for k > 0 && evs[k-1].Seq >= before {
			k--
		}
		if k > 0 {
			blocks = append(blocks, slices.Clone(evs[:k]))
			n += k
		}
		return n < limit
	})
	if err != nil {
		return nil, err
	}
	out := make([]event.Event, 0, min(n, limit))
	for i := len(blocks) - 1; i >= 0; i-- {
		out = append(out, blocks[i]...)
	}
	return out[max(0, len(out)-limit):], nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) events(ctx context.Context, q querier, sessionID string, since int64, limit int) ([]event.Event, error) {
	sid, ok, err := streamSID(ctx, q, sessionID)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, blocksFromSQL, sid, sid, since+1)
	if err != nil {
		return nil, err
	}
	return pageAfter(rows, &sessionID, limit, func(ev *event.Event) bool { return ev.Seq > since })
}

// pageAfter reads the rows of a blocks query (see scanBlocks) and returns
// the first limit events for which after is true; the blocks come in
// order, and after is false only for events before the first one wanted.
func pageAfter(rows *sql.Rows, session *string, limit int, after func(*event.Event) bool) ([]event.Event, error) {
	out := make([]event.Event, 0, min(limit, 512))
	err := scanBlocks(rows, session, func(evs []event.Event) bool {
		for i := range evs {
			if len(out) == limit {
				return false
			}
			if after(&evs[i]) {
				out = append(out, evs[i])
			}
		}
		return len(out) < limit
	})
	return out, err
}

// EventsAfter returns up to limit events with Cursor > cursor in Cursor
// (commit) order: of every stream when all is true, else of the session
// sessionID only ("" being the system stream). It is the replay source of
// the bus (bus.Source).
func (s *Store) EventsAfter(ctx context.Context, cursor int64, sessionID string, all bool, limit int) ([]event.Event, error) {
	limit = pageLimit(limit)
	var rows *sql.Rows
	var session *string
	if all {
		// The block holding cursor+1 is the last one that starts at or
		// before it.
		var err error
		rows, err = s.rdb.QueryContext(ctx,
			"SELECT b.first_cursor, b.first_seq, b.last_seq, b.body, s.session_id FROM event_blocks b JOIN streams s ON s.sid=b.sid "+
				"WHERE b.first_cursor >= ifnull((SELECT max(first_cursor) FROM event_blocks WHERE first_cursor<=?), 0) ORDER BY b.first_cursor",
			cursor+1)
		if err != nil {
			return nil, err
		}
	} else {
		tx, sid, ok, err := s.streamTx(ctx, sessionID)
		if err != nil || !ok {
			return nil, err
		}
		defer tx.Rollback()
		rows, err = tx.QueryContext(ctx,
			"SELECT first_cursor, first_seq, last_seq, body FROM event_blocks WHERE sid=? AND "+
				"first_cursor >= ifnull((SELECT max(first_cursor) FROM event_blocks WHERE sid=? AND first_cursor<=?), 0) ORDER BY first_cursor",
			sid, sid, cursor+1)
		if err != nil {
			return nil, err
		}
		session = &sessionID
	}
	return pageAfter(rows, session, limit, func(ev *event.Event) bool { return ev.Cursor > cursor })
}

// Iter returns the events of one session with Seq > since, in order, read
// in pages so that memory stays bounded whatever the session's size and no
// read transaction is held between pages. Iteration stops at the first
// error, which is yielded with a zero event.
func (s *Store) Iter(ctx context.Context, sessionID string, since int64) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		for {
			if err := ctx.Err(); err != nil {
				yield(event.Event{}, err)
				return
			}
			page, err := s.events(ctx, s.rdb, sessionID, since, DefaultPage)
			if err != nil {
				yield(event.Event{}, err)
				return
			}
			for _, ev := range page {
				if !yield(ev, nil) {
					return
				}
				since = ev.Seq
			}
			if len(page) < DefaultPage {
				return
			}
		}
	}
}

// Export writes one session as JSON Lines, one event per line in Seq
// order, streaming page by page. It returns ErrNotFound for an unknown
// session.
func (s *Store) Export(ctx context.Context, sessionID string, w io.Writer) error {
	if _, err := s.GetSession(sessionID); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for ev, err := range s.Iter(ctx, sessionID, 0) {
		if err != nil {
			return err
		}
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Stats describe one stream's log as kept by retention.
type Stats struct {
	LastSeq  int64 `json:"lastSeq"`  // highest seq assigned
	FirstSeq int64 `json:"firstSeq"` // oldest seq still stored
	RawFrom  int64 `json:"rawFrom"`  // raw payloads of seqs below this were trimmed
	Events   int64 `json:"events"`   // events stored
	Bytes    int64 `json:"bytes"`    // Data+Raw bytes stored
}

// StreamStats returns the log statistics of a session ("" = system stream).
func (s *Store) StreamStats(sessionID string) (Stats, error) {
	var st Stats
	err := s.rdb.QueryRow("SELECT last_seq, first_seq, raw_from, events, bytes FROM streams WHERE session_id=?", sessionID).
		Scan(&st.LastSeq, &st.FirstSeq, &st.RawFrom, &st.Events, &st.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return Stats{FirstSeq: 1, RawFrom: 1}, nil
	}
	return st, err
}

// LastCursor returns the highest committed cursor.
func (s *Store) LastCursor() (int64, error) {
	var c int64
	err := s.rdb.QueryRow("SELECT value FROM meta WHERE key='cursor'").Scan(&c)
	return c, err
}
