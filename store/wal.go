package store

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"time"
)

// The WAL bound.
//
// The writer connection runs with wal_autocheckpoint=0: a checkpoint inside
// a commit would stall appends. The checkpointer goroutine copies the WAL
// back on its own connection instead (PASSIVE: it never waits for and
// never blocks anyone), every 250 ms and whenever the writer has appended a
// quarter of MaxWALBytes (at most 32 MiB) since it last asked.
//
// Copying back is not enough to keep the file small: SQLite starts the WAL
// over from its beginning only when a write transaction begins with every
// frame copied back and no reader still reading frames of it. A writer
// committing batch after batch, or readers whose snapshots overlap (the API
// reading pages while a session streams), never give it that moment, and
// the WAL grew for as long as a flood lasted (382–932 MiB with 64 MiB of
// events). So the writer measures the -wal file after every commit, and
// once it has reached MaxWALBytes it waits, before its next transaction,
// for a RESTART checkpoint: SQLite copies back what is left and waits for
// the readers of older snapshots to finish (a page read each, here), while
// new readers read the database file. The next commit then starts the WAL
// over and truncates the file to journal_size_limit (MaxWALBytes/2). The
// -wal file therefore never holds more than MaxWALBytes plus the last
// transaction (one batch, plus the blocks retention rewrites in it).
//
// A reader that holds one snapshot for longer than walRestartWait (only
// another process can: the store's reads hold one for a page) makes the
// checkpoint give up; the writer then commits one more batch and waits
// again, so it is slowed to a batch per walRestartWait and the file grows
// by that much until the reader lets go.
//
// Once no commit has happened for WALQuietPeriod, the checkpointer runs a
// TRUNCATE checkpoint (without waiting for anyone; it tries again at its
// next tick if a reader is in the way), so an idle store keeps a 0-byte
// -wal file.

// walKickBytes caps the bytes appended between two checkpointer kicks.
const walKickBytes = 32 << 20

// walRestartWait is the busy timeout of the writer's RESTART checkpoint:
// how long it waits for readers of older snapshots. A variable for tests.
var walRestartWait = 10 * time.Second

// walLimits are the thresholds of walStep, derived from Options.
type walLimits struct {
	kick int64 // appended bytes after which the checkpointer is woken
	hard int64 // -wal size at which the writer waits for a restart
}

func newWALLimits(o *Options) walLimits {
	return walLimits{kick: min(walKickBytes, max(o.MaxWALBytes/4, 1)), hard: o.MaxWALBytes}
}

// walAction is what the writer does about the WAL after a commit.
type walAction int

const (
	walNothing walAction = iota
	walKick              // wake the checkpointer (PASSIVE, nobody waits)
	walRestart           // wait for a RESTART checkpoint before the next commit
)

// walStep decides the writer's walAction from the -wal file's size after a
// commit and the bytes appended since the checkpointer was last woken.
func walStep(size, appended int64, lim walLimits) walAction {
	switch {
	case size >= lim.hard:
		return walRestart
	case appended >= lim.kick:
		return walKick
	}
	return walNothing
}

// walFileSize returns the size of the -wal file next to path, 0 when it
// does not exist (or cannot be looked at).
func walFileSize(path string) int64 {
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// afterCommit is the writer's WAL step after each successful commit.
func (w *writer) afterCommit() {
	w.commits.Add(1)
	switch walStep(walFileSize(w.s.path), w.walEst, w.walLim) {
	case walKick:
		w.walEst = 0
		select {
		case w.ckKick <- struct{}{}:
		default:
		}
	case walRestart:
		w.walEst = 0
		w.restartWAL()
	}
}

// restartWAL makes the writer wait, between two transactions, for a
// RESTART checkpoint run by the checkpointer (so that checkpoints never
// run on two connections at once). When it succeeds, the next commit
// starts the WAL over.
func (w *writer) restartWAL() {
	done := make(chan struct{})
	select {
	case w.ckSync <- done:
		<-done
	case <-w.s.ckStop:
	}
}

// ckConn is the checkpointer's connection and the busy timeout set on it.
type ckConn struct {
	conn *sql.Conn
	busy time.Duration // -1: not known yet
}

// run runs PRAGMA wal_checkpoint(mode) with the given busy timeout and
// reports whether it completed: every frame copied back and, for RESTART
// and TRUNCATE, no reader left on the WAL.
func (c *ckConn) run(mode string, busy time.Duration) bool {
	ctx := context.Background()
	if busy != c.busy {
		if _, err := c.conn.ExecContext(ctx, "PRAGMA busy_timeout="+strconv.FormatInt(busy.Milliseconds(), 10)); err != nil {
			return false
		}
		c.busy = busy
	}
	var blocked, logFrames, done int
	if err := c.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&blocked, &logFrames, &done); err != nil {
		return false
	}
	return blocked == 0 && (mode == "TRUNCATE" || done == logFrames)
}

// restart runs RESTART checkpoints until one completes or wait has passed.
// It polls (every walPoll) rather than leave the waiting to SQLite's busy
// handler, whose sleeps grow to 100 ms: readers of a page each let go
// within a few milliseconds.
func (c *ckConn) restart(wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		if c.run("RESTART", 0) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(walPoll)
	}
}

// walPoll is the interval between two attempts of a RESTART checkpoint.
const walPoll = time.Millisecond

// checkpointer copies the WAL back in the background, runs the writer's
// RESTART checkpoints, and truncates the WAL when the store is quiet.
func (s *Store) checkpointer(conn *sql.Conn) {
	defer close(s.ckDone)
	defer conn.Close()
	c := &ckConn{conn: conn, busy: -1}
	quiet := s.opts.WALQuietPeriod
	t := time.NewTicker(min(250*time.Millisecond, max(quiet/4, time.Millisecond)))
	defer t.Stop()
	var seen uint64 // the commit count at the last tick
	lastChange := time.Now()
	for {
		select {
		case <-s.ckStop:
			return
		case <-t.C:
		case <-s.w.ckKick:
		case done := <-s.w.ckSync:
			c.restart(walRestartWait)
			close(done)
			continue
		}
		c.run("PASSIVE", 0)
		n := s.w.commits.Load()
		if n != seen {
			seen, lastChange = n, time.Now()
		}
		if quietDue(time.Since(lastChange), quiet, walFileSize(s.path)) {
			c.run("TRUNCATE", 0) // if a reader is in the way, again at the next tick
		}
	}
}

// quietDue reports whether the quiet-period truncation is due: no commit
// for period, and something in the -wal file.
func quietDue(idle, period time.Duration, size int64) bool {
	return idle >= period && size > 0
}
