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
	"time"

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

const eventSelectCols = "e.cursor, e.seq, e.time, e.kind, e.run_id, e.proc_id, e.data, e.raw"

type scanner interface{ Scan(dest ...any) error }

// scanEvent reads the eventSelectCols columns, then any extra ones.
func scanEvent(r scanner, ev *event.Event, extra ...any) error {
	var ns int64
	var run, proc sql.NullString
	var data, raw []byte
	dest := append([]any{&ev.Cursor, &ev.Seq, &ns, &ev.Kind, &run, &proc, &data, &raw}, extra...)
	if err := r.Scan(dest...); err != nil {
		return err
	}
	ev.Time = time.Unix(0, ns)
	ev.RunID, ev.ProcessID = run.String, proc.String
	if len(data) > 0 {
		ev.Data = data
	}
	if len(raw) > 0 {
		ev.Raw = raw
	}
	return nil
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
// the (sid, seq) index backwards, so the cost is that of the page whatever
// the length of the log: it is how a client opens a long session at its
// end and pages towards its beginning. limit is bounded like Events'.
func (s *Store) EventsBefore(sessionID string, before int64, limit int) ([]event.Event, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	limit = pageLimit(limit)
	rows, err := s.rdb.QueryContext(context.Background(),
		"SELECT "+eventSelectCols+" FROM events e WHERE e.sid=(SELECT sid FROM streams WHERE session_id=?) AND e.seq<? ORDER BY e.seq DESC LIMIT ?",
		sessionID, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]event.Event, 0, min(limit, 512))
	for rows.Next() {
		ev := event.Event{SessionID: sessionID}
		if err := scanEvent(rows, &ev); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) events(ctx context.Context, q querier, sessionID string, since int64, limit int) ([]event.Event, error) {
	rows, err := q.QueryContext(ctx,
		"SELECT "+eventSelectCols+" FROM events e WHERE e.sid=(SELECT sid FROM streams WHERE session_id=?) AND e.seq>? ORDER BY e.seq LIMIT ?",
		sessionID, since, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]event.Event, 0, min(limit, 512))
	for rows.Next() {
		ev := event.Event{SessionID: sessionID}
		if err := scanEvent(rows, &ev); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// EventsAfter returns up to limit events with Cursor > cursor in Cursor
// (commit) order: of every stream when all is true, else of the session
// sessionID only ("" being the system stream). It is the replay source of
// the bus (bus.Source).
func (s *Store) EventsAfter(ctx context.Context, cursor int64, sessionID string, all bool, limit int) ([]event.Event, error) {
	limit = pageLimit(limit)
	if all {
		rows, err := s.rdb.QueryContext(ctx,
			"SELECT "+eventSelectCols+", s.session_id FROM events e JOIN streams s ON s.sid=e.sid WHERE e.cursor>? ORDER BY e.cursor LIMIT ?",
			cursor, limit)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := make([]event.Event, 0, min(limit, 512))
		for rows.Next() {
			var ev event.Event
			if err := scanEvent(rows, &ev, &ev.SessionID); err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
		return out, rows.Err()
	}
	// One stream: translate the cursor into a seq (both grow together
	// within a stream) so the read is a range on the (sid, seq) index.
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var sid, first, last int64
	err = tx.QueryRowContext(ctx, "SELECT sid, first_seq, last_seq FROM streams WHERE session_id=?", sessionID).Scan(&sid, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	seq, err := seqAfterCursor(ctx, tx, sid, first, last, cursor)
	if err != nil {
		return nil, err
	}
	return s.events(ctx, tx, sessionID, seq-1, limit)
}

// seqAfterCursor returns the smallest seq in [first, last] whose cursor is
// greater than cursor, or last+1. The seqs of a stream are dense from
// first_seq (retention only deletes from the front), so a binary search of
// point lookups costs O(log² n) instead of scanning the stream.
func seqAfterCursor(ctx context.Context, tx *sql.Tx, sid, first, last, cursor int64) (int64, error) {
	st, err := tx.PrepareContext(ctx, "SELECT cursor FROM events WHERE sid=? AND seq=?")
	if err != nil {
		return 0, err
	}
	defer st.Close()
	lo, hi := first, last+1 // answer in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		var c int64
		err := st.QueryRowContext(ctx, sid, mid).Scan(&c)
		if errors.Is(err, sql.ErrNoRows) {
			// Only possible if a front trim raced our snapshot; treat the
			// missing event as older than anything asked for.
			lo = mid + 1
			continue
		}
		if err != nil {
			return 0, err
		}
		if c > cursor {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
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
