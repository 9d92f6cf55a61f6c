// Package datalock makes a data directory belong to one corral process at a
// time. The store is single-writer and crash recovery closes whatever a
// previous corral left open: a second process on the same directory would
// "recover" the first one's live sessions and then collide with its writes.
//
// The claim is an exclusive OS lock (flock on Unix, LockFileEx on Windows)
// on the file corral.lock in the data directory, held for the life of the
// process. The kernel drops it with the process, so a crashed or SIGKILLed
// corral never leaves a stale claim. The file also records who holds it
// (pid, program, start time), for the message a second start prints.
package datalock

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// FileName is the lock file's name in the data directory.
const FileName = "corral.lock"

// Owner is what the lock file says about the process holding it.
type Owner struct {
	PID     int       `json:"pid"`
	Program string    `json:"program"` // "corral serve", "corral-desktop"
	Started time.Time `json:"started"`
}

// HeldError is returned by Acquire when another process holds the lock.
// Owner is what that process recorded; it is zero when it could not be
// read (the holder is still writing it, or is an older corral).
type HeldError struct {
	Dir   string
	Owner Owner
}

func (e *HeldError) Error() string {
	if e.Owner.PID == 0 {
		return fmt.Sprintf("the data directory %s is in use by another corral", e.Dir)
	}
	prog := e.Owner.Program
	if prog == "" {
		prog = "another corral"
	}
	return fmt.Sprintf("the data directory %s is in use by %s (pid %d)", e.Dir, prog, e.Owner.PID)
}

// Lock is a held claim on a data directory.
type Lock struct {
	f *os.File
}

// Acquire claims dir (creating it, mode 0700, if needed) for this process,
// recording program as the owner. It does not wait: when another process
// holds the claim it returns a *HeldError. The claim lasts until Release or
// the end of the process.
func Acquire(dir, program string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	locked, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if !locked {
		he := &HeldError{Dir: dir}
		he.Owner, _ = readOwner(f)
		f.Close()
		return nil, he
	}
	b, _ := json.Marshal(Owner{PID: os.Getpid(), Program: program, Started: time.Now().UTC().Truncate(time.Second)})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(append(b, '\n'), 0) // error ignored: the record is informative; the lock is what counts
	}
	return &Lock{f: f}, nil
}

// Release gives the claim up. The file stays (removing it would let two
// processes lock two different files of the same name). It is safe to call
// more than once and on a nil *Lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the file releases the lock
	l.f = nil
	return err
}

func readOwner(f *os.File) (Owner, error) {
	var o Owner
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	if err != nil {
		return o, err
	}
	return o, json.Unmarshal(b, &o)
}
