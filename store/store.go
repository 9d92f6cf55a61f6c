// Package store is corral's durable layer: one SQLite database (corral.db in
// the data directory, embedded pure-Go SQLite, WAL mode) holding sessions,
// runs, an append-only event log, and permission requests and decisions.
//
// # Event log
//
// Append queues events on a bounded queue for a single writer goroutine,
// which commits them in batches: one transaction per batch, each batch
// started as soon as the previous one is committed, so a lone event waits
// well under a millisecond and, in a flood, an event waits for at most the
// queue plus one batch (about 20 ms at 300,000 events/s; when the process
// is short of CPU the writer shrinks both bounds to keep that wait near
// Options.MaxCommitDelay). The writer
// assigns each event two numbers at commit:
//
//   - Seq: per session (the "system" stream of events with an empty
//     SessionID counts as one more session), strictly increasing, no gaps
//     and no duplicates;
//   - Cursor: store-wide, strictly increasing in commit order, never reused
//     (also not after a session is deleted). It is the resume point of a
//     subscription spanning several sessions and the SSE `id:`.
//
// Only after the commit is a batch handed to Options.Publish (the bus), so
// an event is durable before any subscriber can see it.
//
// # Durability
//
// With the default synchronous=NORMAL, a committed batch survives a crash of
// the corral process (SIGKILL included): the WAL is written before the
// commit returns. It does not necessarily survive an operating-system crash
// or power loss: the last batches before the failure may be rolled back
// (the database stays consistent). Options.Synchronous = "FULL" fsyncs every
// commit and extends the guarantee to power loss, at a throughput cost.
//
// # WAL bound
//
// The -wal file never holds more than Options.MaxWALBytes (default 64 MiB)
// plus one transaction (one batch, plus the blocks retention rewrites in
// it): once a commit leaves it at the bound, the writer waits, before its
// next transaction, for a RESTART checkpoint, which lets the readers of
// older snapshots finish their page, and the next commit starts the WAL
// over. After Options.WALQuietPeriod (default 5 s) without a commit the
// file is truncated to 0 bytes. Only a reader holding one snapshot for
// more than 10 s (another process) can push the file past the bound, by
// one batch per 10 s. See wal.go.
//
// # Errors
//
// Open reports a database written by a newer corral as *TooNew (errors.Is
// ErrTooNew) and a damaged or foreign file as *Corrupt (ErrCorrupt) instead
// of failing later. A read-only data directory opens in read-only mode:
// reads work, every write returns *Unavailable (errors.Is ErrReadOnly). A
// full disk makes commits fail with *Unavailable (ErrDiskFull); the failed
// batch is not published, reads keep working, and the writer keeps trying
// new batches, so the store recovers on its own when space is freed.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corral-dev/corral/event"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FileName is the name of the database file inside the data directory.
const FileName = "corral.db"

// Options configure a Store. The zero value is usable.
type Options struct {
	// Publish receives every committed batch, in commit order, from the
	// writer goroutine. It must not block (bus.Bus.Publish does not) and
	// must not modify or retain the events' Data/Raw beyond reading them.
	Publish func(batch []event.Event)

	// Transition validates a session status change inside the transaction
	// that makes it; session.CheckTransition is the intended value. It is a
	// function rather than an import so that the session package can use
	// the store. Nil accepts any change between non-empty statuses.
	Transition func(from, to string) error

	// MaxEventsPerSession and MaxBytesPerSession cap each session's log
	// (and the system stream's); bytes count Data plus Raw. When a cap is
	// passed the oldest raw payloads are dropped first, then the oldest
	// events, down to 90% of the cap, and a store.trimmed event records
	// what went. Zero means the default (2,000,000 events, 1 GiB); a
	// negative value disables the cap.
	MaxEventsPerSession int64
	MaxBytesPerSession  int64

	// Synchronous is the SQLite synchronous level: "NORMAL" (default,
	// durable against process crash) or "FULL" (also against power loss).
	Synchronous string

	// QueueLimit bounds the events waiting for the writer; Append blocks
	// when it is reached (back-pressure instead of unbounded memory).
	// Default 4,096: with MaxBatch this bounds how long an event can wait
	// for its commit to about 6,144 events of writer time (~20 ms at
	// 300,000 events/s).
	QueueLimit int

	// MaxBatch bounds the events committed in one transaction. Default 2,048
	// (measured: no throughput gain from larger batches, only latency).
	MaxBatch int

	// MaxCommitDelay bounds, in time rather than in events, how long an
	// event waits in a flood from Append to its commit: the writer measures
	// its cost per event and, when the process is short of CPU and that
	// cost rises, lowers the queue and batch bounds below QueueLimit and
	// MaxBatch so that the queue ahead of an event plus its batch stay
	// within this delay (never below 512 and 256 events). Default 25 ms; a
	// negative value keeps the fixed bounds only. With the CPU it needs the
	// writer is far inside the default and the fixed bounds apply.
	MaxCommitDelay time.Duration

	// MaxWALBytes bounds the -wal file: once a commit leaves it at this
	// size or more, the writer waits before its next transaction until
	// SQLite can start the WAL over (readers of older snapshots finish
	// their page), so the file never holds more than MaxWALBytes plus one
	// transaction. Default 64 MiB. See wal.go and docs/store.md.
	MaxWALBytes int64

	// WALQuietPeriod is how long the store goes without a commit before
	// it truncates the -wal file to 0 bytes. Default 5 s.
	WALQuietPeriod time.Duration

	// Now is the clock used for event times left zero and for record
	// timestamps. Default time.Now.
	Now func() time.Time

	// OnError, if set, is told about commits that failed (from the writer
	// goroutine; it must not block). Not about each one: the writer retries
	// a failed commit every second while the disk refuses it, so OnError
	// gets the first failure of an outage (an *Unavailable), then one
	// after 10 s, 20 s, 40 s ... up to one every 10 minutes, each a
	// *Repeated that counts the failures since the last report. A commit
	// that succeeds ends the outage.
	OnError func(error)

	// Logf, if set, receives the store's progress messages (the search
	// index of a big database being built after an upgrade).
	Logf func(format string, args ...any)
}

func (o *Options) fill() {
	if o.MaxEventsPerSession == 0 {
		o.MaxEventsPerSession = 2_000_000
	}
	if o.MaxBytesPerSession == 0 {
		o.MaxBytesPerSession = 1 << 30
	}
	if o.Synchronous == "" {
		o.Synchronous = "NORMAL"
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = 4096
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 2048
	}
	if o.MaxCommitDelay == 0 {
		o.MaxCommitDelay = 25 * time.Millisecond
	}
	if o.MaxWALBytes <= 0 {
		o.MaxWALBytes = 64 << 20
	}
	if o.WALQuietPeriod <= 0 {
		o.WALQuietPeriod = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Store is an open corral database. All methods are safe for concurrent use.
type Store struct {
	path     string
	opts     Options
	readOnly bool

	rdb *sql.DB // readers: a small pool, WAL lets them run beside the writer
	wdb *sql.DB // the one writer connection (nil when read-only)
	cdb *sql.DB // checkpoints, so they never run inside the writer's commits

	w *writer // nil when read-only

	health    atomic.Pointer[Unavailable]
	lost      lostCounts                  // events lost per stream since Open (loss.go)
	list      atomic.Pointer[sessionList] // ListSessions cache, see records.go
	listGen   atomic.Int64                // bumped by every commit that may change sessions
	recGen    atomic.Int64                // bumped by every commit with a record write
	counts    atomic.Pointer[eventCounts] // EventCounts cache, see eventcounts.go
	closeOnce sync.Once
	closeErr  error
	ckStop    chan struct{}
	ckDone    chan struct{}
	// searchDone is closed when the search backfill ends (searchbackfill.go).
	searchDone chan struct{}
	// merger and mergeDone: the search index's merges while the store is
	// quiet (searchmerge.go).
	merger    searchMerger
	mergeDone chan struct{}
}

// Sentinel errors; the typed errors below wrap them for errors.Is.
var (
	ErrClosed   = errors.New("store: closed")
	ErrNotFound = errors.New("store: not found")
	ErrReadOnly = errors.New("store: data directory is read-only")
	ErrDiskFull = errors.New("store: disk full")
	ErrIO       = errors.New("store: I/O error")
	ErrTooNew   = errors.New("store: database is newer than this corral")
	ErrCorrupt  = errors.New("store: database file is corrupt or not a corral database")
	// ErrResolved is returned when resolving a permission request that is
	// no longer pending.
	ErrResolved = errors.New("store: permission request already resolved")
)

// Unavailable says the store cannot write right now. Kind is ErrReadOnly,
// ErrDiskFull or ErrIO; Err is the underlying cause. Reads may still work.
type Unavailable struct {
	Op   string
	Kind error
	Err  error
	// Kept is set on the error of a write the store has not dropped: a
	// run's end (FinishRun) or a status change (SetStatus) is applied, in
	// order, by the next commit that succeeds.
	Kept bool
}

func (e *Unavailable) Error() string {
	return fmt.Sprintf("store unavailable (%s): %v: %v", e.Op, e.Kind, e.Err)
}

// Unwrap lets errors.Is match both the kind and the cause.
func (e *Unavailable) Unwrap() []error { return []error{e.Kind, e.Err} }

// TooNew is returned by Open when the database schema was written by a
// newer corral than this binary knows.
type TooNew struct {
	Path       string
	Have, Know int
}

func (e *TooNew) Error() string {
	return fmt.Sprintf("store: %s has schema version %d but this corral knows up to %d: upgrade corral or use another --data directory", e.Path, e.Have, e.Know)
}

// Is makes errors.Is(err, ErrTooNew) true.
func (e *TooNew) Is(target error) bool { return target == ErrTooNew }

// Corrupt is returned by Open when the file cannot be used as a database.
type Corrupt struct {
	Path string
	Err  error
}

func (e *Corrupt) Error() string {
	return fmt.Sprintf("store: %s is corrupt or not a corral database (%v): move it aside to start afresh", e.Path, e.Err)
}

// Unwrap returns ErrCorrupt and the cause.
func (e *Corrupt) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// classify maps a write failure to *Unavailable when it is one of the
// environmental failures a user can fix (read-only, disk full, I/O), and
// returns other errors unchanged.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var u *Unavailable
	if errors.As(err, &u) {
		return err
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return &Unavailable{Op: op, Kind: ErrReadOnly, Err: err}
	case sqlite3.SQLITE_FULL:
		return &Unavailable{Op: op, Kind: ErrDiskFull, Err: err}
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		return &Unavailable{Op: op, Kind: ErrIO, Err: err}
	}
	if errors.Is(err, os.ErrPermission) {
		return &Unavailable{Op: op, Kind: ErrReadOnly, Err: err}
	}
	return err
}

func dsn(path string, readOnly bool, pragmas ...string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Set("mode", "ro")
	}
	return "file:" + (&url.URL{Path: uriPath(path)}).EscapedPath() + "?" + q.Encode()
}

// uriPath turns a file path into the path part of an SQLite file: URI:
// forward slashes, and a leading slash before a Windows drive letter
// ("/C:/Users/..."), which SQLite's Windows VFS strips again.
func uriPath(path string) string {
	p := filepath.ToSlash(path)
	if filepath.VolumeName(path) != "" && !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// Open opens (creating if needed) the database in dataDir, runs the
// migrations this binary knows, and starts the writer. If dataDir or the
// file is read-only, the store opens read-only: ReadOnly reports it and
// writes return *Unavailable. Open never panics on a bad file: it returns
// *Corrupt or *TooNew.
func Open(dataDir string, opts Options) (*Store, error) {
	opts.fill()
	if opts.Synchronous != "NORMAL" && opts.Synchronous != "FULL" {
		return nil, fmt.Errorf("store: Synchronous must be NORMAL or FULL, not %q", opts.Synchronous)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		if _, statErr := os.Stat(dataDir); statErr != nil {
			return nil, classify("open", err)
		}
	}
	path := filepath.Join(dataDir, FileName)
	createPrivate(path)
	s := &Store{path: path, opts: opts}

	err := s.openWritable()
	if err != nil {
		var u *Unavailable
		if errors.As(err, &u) && (u.Kind == ErrReadOnly || u.Kind == ErrIO) {
			// The directory or file is not writable (or the -wal/-shm files
			// cannot be created): serve what is there, read-only.
			if _, statErr := os.Stat(path); statErr == nil {
				if roErr := s.openReadOnly(); roErr == nil {
					return s, nil
				}
			}
		}
		return nil, err
	}
	return s, nil
}

// createPrivate creates an empty database file readable by its owner only
// when none exists. SQLite would create it with 0644, and it gives the
// -wal and -shm files it creates later the mode of the database file, so
// this one mode covers all three. An empty file is a new database to
// SQLite. A failure is left to Open, which reports it (read-only
// directory) or finds the file already there.
func createPrivate(path string) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		f.Close()
	}
}

func (s *Store) openWritable() error {
	// The setup connection applies what must happen before WAL is on
	// (page size on a new file) and runs the migrations.
	wdb, err := sql.Open("sqlite", dsn(s.path, false,
		"synchronous("+s.opts.Synchronous+")",
		// Checkpoints run on their own connection (see checkpointer), so
		// the writer's commits never stall copying the WAL back.
		"wal_autocheckpoint(0)",
		// The first commit after the WAL starts over truncates the file
		// to this size (see wal.go): below MaxWALBytes, so that the
		// file's size shows where the log ends once it passes it.
		"journal_size_limit("+strconv.FormatInt(s.opts.MaxWALBytes/2, 10)+")",
		"cache_size(-16384)",
		// Multi-row INSERTs need a statement journal; keep it in memory
		// rather than in a temporary file.
		"temp_store(MEMORY)",
		"foreign_keys(0)"))
	if err != nil {
		return err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := s.prepareFile(wdb); err != nil {
		wdb.Close()
		return err
	}
	rdb, err := sql.Open("sqlite", dsn(s.path, false, "query_only(1)", "cache_size(-8192)"))
	if err != nil {
		wdb.Close()
		return err
	}
	rdb.SetMaxOpenConns(4)
	rdb.SetMaxIdleConns(4)
	cdb, err := sql.Open("sqlite", dsn(s.path, false, "synchronous("+s.opts.Synchronous+")"))
	if err != nil {
		wdb.Close()
		rdb.Close()
		return err
	}
	cdb.SetMaxOpenConns(1)
	s.wdb, s.rdb, s.cdb = wdb, rdb, cdb
	ck, err := cdb.Conn(context.Background())
	if err != nil {
		s.wdb.Close()
		s.rdb.Close()
		s.cdb.Close()
		return err
	}
	w, err := newWriter(s)
	if err != nil {
		ck.Close()
		s.wdb.Close()
		s.rdb.Close()
		s.cdb.Close()
		return err
	}
	s.w = w
	s.ckStop = make(chan struct{})
	s.ckDone = make(chan struct{})
	go s.checkpointer(ck)
	s.searchDone = make(chan struct{})
	go s.backfillSearch()
	s.mergeDone = make(chan struct{})
	go s.mergeSearch()
	return nil
}

// prepareFile checks the file, switches it to WAL and migrates it.
func (s *Store) prepareFile(db *sql.DB) error {
	ctx := context.Background()
	var n int
	// Reading the schema is the cheapest way to make SQLite look at the
	// header: a foreign file fails here with SQLITE_NOTADB.
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return s.openError(err)
	}
	if n == 0 {
		// Fresh file: 16 KiB pages (measured best for ~550-byte rows:
		// fewer WAL frames and syscalls per event than 4 or 8 KiB). Only possible
		// before the first table and before WAL.
		if _, err := db.ExecContext(ctx, "PRAGMA page_size=16384"); err != nil {
			return s.openError(err)
		}
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return s.openError(err)
	}
	if mode != "wal" {
		return &Unavailable{Op: "open", Kind: ErrIO, Err: fmt.Errorf("cannot enable WAL (journal_mode=%s)", mode)}
	}
	if err := migrate(ctx, db, s.path); err != nil {
		return s.openError(err)
	}
	if err := applySearchSettings(ctx, db); err != nil {
		return s.openError(err)
	}
	return nil
}

func (s *Store) openError(err error) error {
	var tn *TooNew
	if errors.As(err, &tn) {
		return err
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return &Corrupt{Path: s.path, Err: err}
	}
	return classify("open", err)
}

func (s *Store) openReadOnly() error {
	try := func(extra string) (*sql.DB, error) {
		d := dsn(s.path, true, "query_only(1)")
		if extra != "" {
			d += "&" + extra
		}
		db, err := sql.Open("sqlite", d)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(4)
		if err := checkReadable(db, s.path); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	db, err := try("")
	if err != nil {
		// A WAL database on read-only media without its -shm file can only
		// be read as immutable. A clean Close checkpoints and removes the
		// WAL, so nothing committed is missed.
		var err2 error
		db, err2 = try("immutable=1")
		if err2 != nil {
			return err
		}
	}
	s.rdb = db
	s.readOnly = true
	s.health.Store(&Unavailable{Op: "open", Kind: ErrReadOnly, Err: fmt.Errorf("%s is not writable", filepath.Dir(s.path))})
	return nil
}

func checkReadable(db *sql.DB, path string) error {
	v, err := schemaVersion(context.Background(), db)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return &TooNew{Path: path, Have: v, Know: len(migrations)}
	}
	if v < len(migrations) {
		return fmt.Errorf("store: %s needs migration to version %d but is read-only", path, len(migrations))
	}
	return nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Health returns nil when the last write succeeded, or the *Unavailable
// describing why writes fail (read-only store, disk full, I/O error).
func (s *Store) Health() error {
	if u := s.health.Load(); u != nil {
		return u
	}
	return nil
}

// Close flushes every queued event, checkpoints the WAL and closes the
// database. Further calls return the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.w != nil {
			errs = append(errs, s.w.close())
			close(s.ckStop)
			<-s.ckDone
			<-s.searchDone
			<-s.mergeDone
			// Fold the WAL back into the main file so a later read-only
			// open (which may have to treat the file as immutable) sees
			// every commit. Without waiting: if another process (corral
			// doctor next to corral serve) is reading, the checkpoint is
			// left to whoever closes last.
			if _, err := s.cdb.Exec("PRAGMA busy_timeout=0"); err != nil {
				errs = append(errs, err)
			}
			var busy, logFrames, done int
			if err := s.cdb.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil && sqliteCode(err) != sqlite3.SQLITE_BUSY {
				errs = append(errs, err)
			}
			errs = append(errs, s.cdb.Close(), s.wdb.Close())
		}
		errs = append(errs, s.rdb.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Store) writable(op string) error {
	if s.readOnly {
		return &Unavailable{Op: op, Kind: ErrReadOnly, Err: fmt.Errorf("%s opened read-only", s.path)}
	}
	return nil
}
