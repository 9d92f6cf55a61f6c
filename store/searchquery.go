package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of SearchEvents.
const (
	DefaultSearchLimit = 20
	MaxSearchLimit     = 100
)

// ErrInvalidQuery is returned (wrapped) by SearchEvents for a query with no
// word to search for, or a negative limit.
var ErrInvalidQuery = errors.New("store: invalid search query")

// SearchQuery is what SearchEvents looks for.
type SearchQuery struct {
	// Query is what a user typed: words separated by spaces. Every word
	// must occur in an event's text, the last one as a prefix when it has
	// two characters or more ("conf" finds "config"). A word with punctuation inside (foo-bar, a/b.go)
	// matches its parts one after the other. Case does not count, accents
	// do ("café" is not "cafe"). Nothing in it is query
	// syntax: quotes, *, NEAR, AND, OR, column: are taken literally.
	Query string
	// SessionID, when set, limits the search to that session.
	SessionID string
	// Limit is the most hits returned: DefaultSearchLimit when 0, at most
	// MaxSearchLimit.
	Limit int
}

// SearchHit is one event whose text matches a query.
type SearchHit struct {
	SessionID    string `json:"sessionId"`
	SessionTitle string `json:"sessionTitle"`
	// Seq is the event's seq in its session; for a streamed assistant
	// message, the seq of its first piece.
	Seq  int64  `json:"seq"`
	Kind string `json:"kind"`
	// Snippet is a piece of the event's text around the matches, each
	// matched term between HighlightStart and HighlightEnd (U+0002 and
	// U+0003), with "…" where text was left out. The text is the event's
	// own and may contain anything else (markup included): a client shows
	// it as text.
	Snippet string    `json:"snippet"`
	At      time.Time `json:"at"`
}

// SearchEvents returns the events of every session (or of q.SessionID)
// whose text matches q.Query, newest first (by commit order), at most
// q.Limit. What is indexed is described at searchText; events stored
// before the index existed become searchable as the background indexing
// after Open reaches them. An unknown session gives no hits.
//
// The cost does not grow with the number of matches: the index is read
// newest first and stops at the limit (docs/benchmarks.md: a query over
// 1,000,000 indexed events).
func (s *Store) SearchEvents(ctx context.Context, q SearchQuery) ([]SearchHit, error) {
	if q.Limit < 0 {
		return nil, fmt.Errorf("%w: limit %d is negative", ErrInvalidQuery, q.Limit)
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	exact, prefix, err := matchExprs(q.Query)
	if err != nil {
		return nil, err
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if q.SessionID != "" {
		sid, ok, err := streamSID(ctx, tx, q.SessionID)
		if err != nil || !ok {
			return []SearchHit{}, err
		}
		exact = sessMatch(sid) + " AND " + exact
		prefix = sessMatch(sid) + " AND " + prefix
	}
	// The words as they are first: FTS5 reads a word's list newest first
	// and the scan stops at the limit. Only when that does not fill the
	// page, the last word as a prefix, whose matches are a superset (a
	// prefix's lists are merged whole unless the prefix index holds it).
	sc := hitScan{ctx: ctx, tx: tx, limit: limit, streams: map[int64]*hitStream{}}
	hits, err := sc.run(exact, parseTerms(q.Query, false))
	if err == nil && len(hits) < limit && prefix != exact {
		hits, err = sc.run(prefix, parseTerms(q.Query, true))
	}
	return hits, err
}

// hitScan reads the groups a query matches, newest first, and turns the
// texts in them that match into hits.
type hitScan struct {
	ctx     context.Context
	tx      *sql.Tx
	limit   int
	streams map[int64]*hitStream
}

// hitStream is what a hit needs of its stream: the session's id and
// title, and the first seq retention kept (texts below it are gone).
type hitStream struct {
	id, title string
	firstSeq  int64
}

type cursorHit struct {
	cursor int64
	hit    SearchHit
}

// run runs the FTS5 query expr and returns the newest limit texts that
// match terms. A group's rowid is the largest cursor in it, so once limit
// hits are newer than the next group's rowid, no later group can give a
// newer one.
func (sc *hitScan) run(expr string, terms queryTerms) ([]SearchHit, error) {
	rows, err := sc.tx.QueryContext(sc.ctx, "SELECT rowid, sess, docs, body FROM search WHERE search MATCH ? ORDER BY rowid DESC", expr)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []cursorHit
	for rows.Next() {
		var rowid int64
		var sess, body string
		var docs []byte
		if err := rows.Scan(&rowid, &sess, &docs, &body); err != nil {
			return nil, err
		}
		if newerThan(found, rowid) >= sc.limit {
			break
		}
		st, err := sc.stream(sess)
		if err != nil {
			return nil, err
		}
		es, err := decodeDocEntries(docs, len(body))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if st == nil || e.seq < st.firstSeq {
				continue
			}
			text := body[e.start:e.end]
			matched, spans, ok := matchDoc(text, terms)
			if !ok {
				continue
			}
			found = append(found, cursorHit{e.cursor, SearchHit{SessionID: st.id, SessionTitle: st.title,
				Seq: e.seq, Kind: e.kind, Snippet: makeSnippet(text, matched, spans), At: time.Unix(0, e.at)}})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b cursorHit) int { return cmp.Compare(b.cursor, a.cursor) })
	hits := make([]SearchHit, 0, min(len(found), sc.limit))
	for i := 0; i < len(found) && i < sc.limit; i++ {
		hits = append(hits, found[i].hit)
	}
	return hits, nil
}

// newerThan counts the hits with a cursor above c.
func newerThan(found []cursorHit, c int64) int {
	n := 0
	for _, h := range found {
		if h.cursor > c {
			n++
		}
	}
	return n
}

// stream returns the stream of a group's sess token; nil when the stream
// is gone.
func (sc *hitScan) stream(sess string) (*hitStream, error) {
	sid, err := strconv.ParseInt(strings.TrimPrefix(sess, "s"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("store: search group with stream %q: %w", sess, err)
	}
	if st, ok := sc.streams[sid]; ok {
		return st, nil
	}
	st := &hitStream{}
	err = sc.tx.QueryRowContext(sc.ctx, `SELECT st.session_id, ifnull(se.title, ''), st.first_seq FROM streams st
LEFT JOIN sessions se ON se.id = st.session_id WHERE st.sid = ?`, sid).Scan(&st.id, &st.title, &st.firstSeq)
	if errors.Is(err, sql.ErrNoRows) {
		st, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	sc.streams[sid] = st
	return st, nil
}

// matchExprs turns what a user typed into FTS5 expressions on the body
// column: each word quoted (its quotes doubled), so that nothing in it is
// FTS5 syntax, all of them required; prefix has the last word as a prefix
// when it is at least two characters long (the prefix index holds 2 and
// 3), else it is exact. Words without a letter or digit (a lone "-" or
// "*") match nothing and are dropped; a query left with no word is
// ErrInvalidQuery.
func matchExprs(q string) (exact, prefix string, err error) {
	var words []string
	for _, w := range strings.Fields(q) {
		if strings.IndexFunc(w, isTokenRune) >= 0 {
			words = append(words, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
		}
	}
	if len(words) == 0 {
		if strings.TrimSpace(q) == "" {
			return "", "", fmt.Errorf("%w: the query is empty", ErrInvalidQuery)
		}
		return "", "", fmt.Errorf("%w: the query has no word (letters or digits) to search for", ErrInvalidQuery)
	}
	exact = "body : (" + strings.Join(words, " AND ") + ")"
	last := words[len(words)-1]
	if utf8.RuneCountInString(last) < 4 { // a quote, one character, a quote
		return exact, exact, nil
	}
	words[len(words)-1] += "*"
	return exact, "body : (" + strings.Join(words, " AND ") + ")", nil
}

// isTokenRune reports whether r is part of a word for FTS5's unicode61
// tokenizer (letters, numbers and private-use characters).
func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf { // (the same answer, without the tables)
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}
