package supervise

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Entry records one live process group in a Ledger.
type Entry struct {
	ID   string `json:"id"`
	Pid  int    `json:"pid"`
	Pgid int    `json:"pgid"`
	// StartTime is the process start time as the kernel reports it (on
	// Linux field 22 of /proc/PID/stat, in clock ticks since boot). A pid
	// recycled for another process has another start time, so a sweep never
	// kills a stranger.
	StartTime uint64 `json:"startTime"`
	Owner     string `json:"owner"`
	Command   string `json:"command"`
	// Marker is the environment entry ("KEY=value") every process of the
	// tree inherited; it finds descendants that left the group.
	Marker string `json:"marker,omitempty"`
	// Supervisor and SupervisorStart identify the corral process that
	// started it (its pid and that pid's start time): a sweep leaves the
	// entries of a corral that is still alive alone.
	Supervisor      int       `json:"supervisor"`
	SupervisorStart uint64    `json:"supervisorStart"`
	Added           time.Time `json:"added"`
}

// Ledger durably records the process groups corral is responsible for, so
// that what a dead corral left behind can be found and killed. Add is called
// right after a child started and before it is reported running; Remove
// after it was reaped. Implementations must be safe for concurrent use.
type Ledger interface {
	Add(Entry) error
	Remove(id string) error
	List() ([]Entry, error)
}

// FileLedger is a Ledger kept as JSON files in one directory: each corral
// process writes only its own file (named after its pid), so that a
// `corral run` next to a `corral serve` never overwrites the other's
// entries, and List reads them all. Every change rewrites the file
// atomically: write a temporary file, fsync it, rename it over the old one
// and fsync the directory, so a reader (the watchdog, the next corral) sees
// either the old or the new list, never a torn one. A file whose entries are
// all removed is deleted.
type FileLedger struct {
	dir  string
	self string
	// NoSync skips the fsync calls. The ledger only has to survive corral's
	// death, not the machine's (a reboot ends every process it lists), and
	// without fsync a change costs tens of microseconds instead of
	// milliseconds; the rename stays atomic.
	NoSync bool

	mu      sync.Mutex
	entries []Entry // the entries of self
}

// LedgerDir is the ledger's directory inside the data directory.
const LedgerDir = "processes"

// NewFileLedger returns the ledger kept in dataDir/processes. The directory
// is created if needed.
func NewFileLedger(dataDir string) (*FileLedger, error) {
	dir := filepath.Join(dataDir, LedgerDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	self := filepath.Join(dir, fmt.Sprintf("corral-%d.json", os.Getpid()))
	l := &FileLedger{dir: dir, self: self}
	// A file with our pid can only be left by a dead corral whose pid was
	// recycled for us: keep its entries so that Sweep still sees them.
	es, err := readLedgerFile(self)
	if err != nil {
		return nil, err
	}
	if len(es) > 0 {
		old := filepath.Join(dir, fmt.Sprintf("corral-%d-%d.json", os.Getpid(), time.Now().UnixNano()))
		if err := os.Rename(self, old); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Dir is the ledger directory.
func (l *FileLedger) Dir() string { return l.dir }

func readLedgerFile(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Entries []Entry `json:"entries"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("supervise: ledger %s: %w", path, err)
	}
	return f.Entries, nil
}

// Add records e in this process's file, replacing an entry with the same ID.
func (l *FileLedger) Add(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(l.entries), func(x Entry) bool { return x.ID == e.ID })
	next = append(next, e)
	if err := writeLedgerFile(l.self, next, !l.NoSync); err != nil {
		return err
	}
	l.entries = next
	return nil
}

// Remove deletes the entry with id, from this process's file or, for an
// entry a dead corral left (after a sweep), from that one's file. Removing
// an unknown id is not an error.
func (l *FileLedger) Remove(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if slices.ContainsFunc(l.entries, func(x Entry) bool { return x.ID == id }) {
		next := slices.DeleteFunc(slices.Clone(l.entries), func(x Entry) bool { return x.ID == id })
		if err := writeLedgerFile(l.self, next, !l.NoSync); err != nil {
			return err
		}
		l.entries = next
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(l.dir, "corral-*.json"))
	for _, f := range files {
		if f == l.self {
			continue
		}
		es, err := readLedgerFile(f)
		if err != nil || !slices.ContainsFunc(es, func(x Entry) bool { return x.ID == id }) {
			continue
		}
		es = slices.DeleteFunc(es, func(x Entry) bool { return x.ID == id })
		return writeLedgerFile(f, es, !l.NoSync)
	}
	return nil
}

// List returns the entries of every corral process recorded in the
// directory, its own included.
func (l *FileLedger) List() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	files, err := filepath.Glob(filepath.Join(l.dir, "corral-*.json"))
	if err != nil {
		return nil, err
	}
	var all []Entry
	for _, f := range files {
		if f == l.self {
			all = append(all, l.entries...)
			continue
		}
		es, err := readLedgerFile(f)
		if err != nil {
			// A corrupt file must not hide the others; its entries are lost
			// to the sweep, which the caller learns from no entry at all.
			continue
		}
		all = append(all, es...)
	}
	return all, nil
}

// ListDir returns every entry recorded in the ledger directory of dataDir
// without creating anything: what `corral ps` shows when no corral serves.
func ListDir(dataDir string) ([]Entry, error) {
	files, err := filepath.Glob(filepath.Join(dataDir, LedgerDir, "corral-*.json"))
	if err != nil {
		return nil, err
	}
	var all []Entry
	for _, f := range files {
		es, err := readLedgerFile(f)
		if err != nil {
			return all, err
		}
		all = append(all, es...)
	}
	return all, nil
}

func writeLedgerFile(path string, es []Entry, sync bool) error {
	if len(es) == 0 {
		err := os.Remove(path)
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		return err
	}
	b, err := json.Marshal(struct {
		Entries []Entry `json:"entries"`
	}{es})
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".corral-*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(b)
	if err == nil && sync {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	if sync {
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// MemLedger is a Ledger kept in memory only, for tests and for callers that
// do not want a file.
type MemLedger struct {
	mu      sync.Mutex
	entries []Entry
}

func (l *MemLedger) Add(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = slices.DeleteFunc(l.entries, func(x Entry) bool { return x.ID == e.ID })
	l.entries = append(l.entries, e)
	return nil
}

func (l *MemLedger) Remove(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = slices.DeleteFunc(l.entries, func(x Entry) bool { return x.ID == id })
	return nil
}

func (l *MemLedger) List() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries), nil
}
