package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// matches its parts one after the other. Nothing in it is query
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
	// and stops at the limit. Only when that does not fill the page, the
	// last word as a prefix, whose matches are a superset (a prefix's
	// lists are merged whole unless the prefix index holds it).
	hits, sids, err := searchRows(ctx, tx, exact, limit)
	if err == nil && len(hits) < limit && prefix != exact {
		hits, sids, err = searchRows(ctx, tx, prefix, limit)
	}
	if err != nil {
		return nil, err
	}
	return hits, nameHits(ctx, tx, hits, sids)
}

// searchRows runs the FTS5 query, newest first; sids[i] is the stream of
// hits[i], whose session fields nameHits fills in.
func searchRows(ctx context.Context, tx *sql.Tx, expr string, limit int) ([]SearchHit, []int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT sess, kind, seq, at, snippet(search, 0, char(2), char(3), '…', 24)
FROM search WHERE search MATCH ? ORDER BY rowid DESC LIMIT ?`, expr, limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	hits := []SearchHit{}
	var sids []int64
	for rows.Next() {
		var h SearchHit
		var sess string
		var at int64
		if err := rows.Scan(&sess, &h.Kind, &h.Seq, &at, &h.Snippet); err != nil {
			return nil, nil, err
		}
		sid, err := strconv.ParseInt(strings.TrimPrefix(sess, "s"), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("store: search document with stream %q: %w", sess, err)
		}
		h.At = time.Unix(0, at)
		hits = append(hits, h)
		sids = append(sids, sid)
	}
	return hits, sids, rows.Err()
}

// nameHits sets the session id and title of each hit from its stream.
func nameHits(ctx context.Context, tx *sql.Tx, hits []SearchHit, sids []int64) error {
	type name struct{ id, title string }
	names := map[int64]name{}
	for i := range hits {
		n, ok := names[sids[i]]
		if !ok {
			err := tx.QueryRowContext(ctx, `SELECT st.session_id, ifnull(se.title, '') FROM streams st
LEFT JOIN sessions se ON se.id = st.session_id WHERE st.sid = ?`, sids[i]).Scan(&n.id, &n.title)
			if err != nil {
				return err
			}
			names[sids[i]] = n
		}
		hits[i].SessionID, hits[i].SessionTitle = n.id, n.title
	}
	return nil
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
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}
