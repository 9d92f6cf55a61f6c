package supervise

import (
	"bytes"
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
	ID string `json:"id"`
	// Pid and Pgid are the tree's leader and group; 0 in the entry written
	// just before the leader starts (its cgroup and marker are known
	// already), which the entry with them replaces once it runs.
	Pid  int `json:"pid"`
	Pgid int `json:"pgid"`
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
	// Cgroup is the cgroup v2 group of the tree (cgroup containment), empty
	// without: a sweep kills everything in it with cgroup.kill and removes
	// it, whatever the processes did to leave the group or the marker.
	Cgroup string `json:"cgroup,omitempty"`
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

// FileLedger is a Ledger kept as files in one directory: each corral
// process writes only its own file (named after its pid), so that a
// `corral run` next to a `corral serve` never overwrites the other's
// entries, and List reads them all.
//
// A file is a journal of JSON lines, {"add": entry} or {"remove": id}. A
// change appends one line with a single write (and fsyncs it unless NoSync),
// so its cost does not grow with the number of live processes and it makes
// no garbage proportional to them; a reader replays the lines and ignores a
// torn last line, which is all a crash in the middle of a write can leave.
// When removed entries outnumber live ones the file is compacted: the live
// entries are written to a temporary file, fsynced and renamed over the
// journal, so a reader sees the old or the new file, never a mix. A file
// whose entries are all removed is deleted.
type FileLedger struct {
	dir  string
	self string
	// NoSync skips the fsync calls. The ledger only has to survive corral's
	// death, not the machine's (a reboot ends every process it lists), and
	// without fsync a change costs microseconds instead of milliseconds.
	NoSync bool

	mu      sync.Mutex
	f       *os.File         // the open journal, nil until the first Add
	live    map[string]Entry // the entries of self
	removed int              // remove lines since the last compaction
	line    []byte           // reused encoding buffer
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
	self := filepath.Join(dir, fmt.Sprintf("corral-%d.jsonl", os.Getpid()))
	// A file with our pid can only be left by a dead corral whose pid was
	// recycled for us: move it aside so that Sweep still sees its entries.
	if _, err := os.Stat(self); err == nil {
		old := filepath.Join(dir, fmt.Sprintf("corral-%d-%d.jsonl", os.Getpid(), time.Now().UnixNano()))
		if err := os.Rename(self, old); err != nil {
			return nil, err
		}
	}
	removeEmptyJournals(dir)
	return &FileLedger{dir: dir, self: self, live: map[string]Entry{}}, nil
}

// removeEmptyJournals deletes the empty journals of corral processes that
// are gone (killed before they could Close). The journal of a live corral
// is kept even when empty: it still appends to it.
func removeEmptyJournals(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "corral-*.jsonl"))
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || st.Size() != 0 {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(f), "corral-%d", &pid); err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		os.Remove(f)
	}
}

// Dir is the ledger directory.
func (l *FileLedger) Dir() string { return l.dir }

type journalLine struct {
	Add    *Entry `json:"add,omitempty"`
	Remove string `json:"remove,omitempty"`
}

// readLedgerFile replays a journal into its live entries, in order of
// addition.
func readLedgerFile(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var order []string
	live := map[string]Entry{}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		var jl journalLine
		if len(line) == 0 || json.Unmarshal(line, &jl) != nil {
			continue // a torn line
		}
		switch {
		case jl.Add != nil:
			if _, ok := live[jl.Add.ID]; !ok {
				order = append(order, jl.Add.ID)
			}
			live[jl.Add.ID] = *jl.Add
		case jl.Remove != "":
			delete(live, jl.Remove)
		}
	}
	out := make([]Entry, 0, len(live))
	for _, id := range order {
		if e, ok := live[id]; ok {
			out = append(out, e)
			delete(live, id)
		}
	}
	return out, nil
}

func (l *FileLedger) appendLocked(jl journalLine) error {
	if l.f == nil {
		f, err := os.OpenFile(l.self, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		l.f = f
	}
	b, err := json.Marshal(jl)
	if err != nil {
		return err
	}
	l.line = append(append(l.line[:0], b...), '\n')
	if _, err := l.f.Write(l.line); err != nil {
		return err
	}
	if !l.NoSync {
		return l.f.Sync()
	}
	return nil
}

// Add records e in this process's journal, replacing an entry with the
// same ID.
func (l *FileLedger) Add(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.appendLocked(journalLine{Add: &e}); err != nil {
		return err
	}
	l.live[e.ID] = e
	return nil
}

// Remove deletes the entry with id, from this process's journal or, for an
// entry a dead corral left (after a sweep), from that one's file. Removing
// an unknown id is not an error.
func (l *FileLedger) Remove(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.live[id]; ok {
		delete(l.live, id)
		if len(l.live) == 0 && l.f != nil {
			// Nothing is live: empty the journal but keep it open, which
			// is cheaper than unlinking and recreating it for the next
			// process; Close deletes it.
			l.removed = 0
			return l.f.Truncate(0)
		}
		if err := l.appendLocked(journalLine{Remove: id}); err != nil {
			return err
		}
		l.removed++
		if l.removed > 64 && l.removed > len(l.live) {
			return l.compactLocked()
		}
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(l.dir, "corral-*.jsonl"))
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

func (l *FileLedger) closeLocked() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// compactLocked rewrites the journal with the live entries only.
func (l *FileLedger) compactLocked() error {
	es := make([]Entry, 0, len(l.live))
	for _, e := range l.live {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b Entry) int { return a.Added.Compare(b.Added) })
	l.closeLocked()
	l.removed = 0
	return writeLedgerFile(l.self, es, !l.NoSync)
}

// Close closes the journal file, and deletes it when no entry is live. The
// ledger stays usable: the next change reopens the file.
func (l *FileLedger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeLocked()
	if len(l.live) == 0 {
		if err := os.Remove(l.self); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// List returns the entries of every corral process recorded in the
// directory, its own included.
func (l *FileLedger) List() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	files, err := filepath.Glob(filepath.Join(l.dir, "corral-*.jsonl"))
	if err != nil {
		return nil, err
	}
	var all []Entry
	for _, f := range files {
		if f == l.self {
			for _, e := range l.live {
				all = append(all, e)
			}
			continue
		}
		es, err := readLedgerFile(f)
		if err != nil {
			continue // an unreadable file must not hide the others
		}
		all = append(all, es...)
	}
	return all, nil
}

// ListDir returns every entry recorded in the ledger directory of dataDir
// without creating anything: what `corral ps` shows when no corral serves.
func ListDir(dataDir string) ([]Entry, error) {
	files, err := filepath.Glob(filepath.Join(dataDir, LedgerDir, "corral-*.jsonl"))
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

// writeLedgerFile replaces path atomically with a journal of es (or
// deletes it when es is empty): temporary file, fsync, rename, fsync of the
// directory.
func writeLedgerFile(path string, es []Entry, sync bool) error {
	if len(es) == 0 {
		err := os.Remove(path)
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range es {
		if err := enc.Encode(journalLine{Add: &es[i]}); err != nil {
			return err
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".corral-*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(buf.Bytes())
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
