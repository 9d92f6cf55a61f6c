package store

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"
)

// FTS5 merges the segments of the search index. With its default
// (automerge=4) it does so at the commit of every transaction that wrote
// documents, which cost the writer about 6 % of an append flood (a profile
// of BenchmarkAppend: fts5IndexAutomerge under every commit). The store
// turns automerge off at Open; FTS5 still merges a level once it holds
// crisismerge (searchCrisisMerge) segments, so the number of segments a query reads stays
// bounded, and the merger below does the rest of the work once the writer
// has been quiet for searchMergeQuiet, one bounded step (searchMergePages
// pages) per writer job, so that appends arriving meanwhile wait for at
// most one step.
const (
	// Settings FTS5 keeps in the database, applied at every Open: no
	// automatic merges (merges happen while the store is quiet) and the
	// leaf size of searchPageSize.
	searchAutomergeSQL = "INSERT INTO search(search, rank) VALUES('automerge', 0)"
	searchPgszSQL      = "INSERT INTO search(search, rank) VALUES('pgsz', " + searchPageSize + ")"
	searchCrisisSQL    = "INSERT INTO search(search, rank) VALUES('crisismerge', ?)"
	searchCrisisMerge  = 64
	searchMergeSQL     = "INSERT INTO search(search, rank) VALUES('merge', ?)"
	// 64 leaves of searchPageSize: about 1 MB written per step, what 256
	// leaves of FTS5's default size (4,050 bytes) were
	searchMergePages = 64
	searchMergeQuiet = time.Second
)

// searchPageSize is the size FTS5 gives the leaves of the segments it
// writes (its default, 4050, suits 4 KiB pages): one leaf fills one of the
// store's 16 KiB pages (page_size, store.go), so a commit's segment is
// fewer, larger rows of the index's data table. Measured in an append
// flood: more events per CPU-second than with 4050 in 14 of 17 paired
// rounds (docs/benchmarks.md, "Search"); segments written before keep
// their leaves.
const searchPageSize = "16000"

// searchMerger counts the documents written since the index was last found
// fully merged.
type searchMerger struct {
	docs atomic.Int64
}

// mergeSearch runs merge steps while the store is quiet and documents were
// written since the last merge; it ends when the store closes.
func (s *Store) mergeSearch() {
	defer close(s.mergeDone)
	// What an earlier run left unmerged (a flood cut by a crash or a close)
	// is merged at the first quiet moment.
	s.merger.docs.Store(1)
	t := time.NewTicker(searchMergeQuiet / 2)
	defer t.Stop()
	seen, since := s.w.commits.Load(), time.Now()
	for {
		select {
		case <-s.ckStop:
			return
		case <-t.C:
		}
		if n := s.w.commits.Load(); n != seen {
			seen, since = n, time.Now()
			continue
		}
		if time.Since(since) < searchMergeQuiet || s.merger.docs.Load() == 0 {
			continue
		}
		// While commits fail (a full disk) merging is put off: a step's
		// pages would take the space the loss report and the kept writes
		// wait for, and the writer's retries would fail with them.
		if s.Health() != nil {
			continue
		}
		s.mergeWhileQuiet(&seen)
	}
}

// mergeWhileQuiet runs merge steps until FTS5 reports nothing left to
// merge or a commit other than its own happens (appends resumed).
func (s *Store) mergeWhileQuiet(seen *uint64) {
	for {
		out, err := s.writeJob(context.Background(), "merge the search index", (*wtx).mergeStep, false)
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				s.logf("store: merging the search index: %v", err)
			}
			return
		}
		*seen = s.w.commits.Load()
		if more, _ := out.(bool); !more {
			s.merger.docs.Store(0)
			return
		}
		select {
		case <-s.ckStop:
			return
		default:
		}
		if s.w.commits.Load() != *seen {
			return
		}
	}
}

// mergeStep does one bounded step of FTS5's merge work. Its answer says
// whether there may be more: FTS5 reports a step that found nothing to do
// as fewer than two changes.
func (t *wtx) mergeStep() error {
	res, err := t.tx.ExecContext(t.ctx, searchMergeSQL, searchMergePages)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	t.answer(n >= 2)
	return nil
}

// applySearchSettings sets, at every Open, the settings FTS5 keeps in
// the database: merges happen while the store is quiet (no automerge, a
// crisis merge only past searchCrisisMerge segments) and leaves fill a
// page.
func applySearchSettings(ctx context.Context, db *sql.DB) error {
	for _, q := range []string{searchAutomergeSQL, searchPgszSQL} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	_, err := db.ExecContext(ctx, searchCrisisSQL, searchCrisisMerge)
	return err
}
