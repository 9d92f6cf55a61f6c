package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

func ids(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	slices.Sort(out)
	return out
}

func TestFileLedgerJournal(t *testing.T) {
	data := t.TempDir()
	l, err := NewFileLedger(data)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range 3 {
		if err := l.Add(Entry{ID: fmt.Sprint("a", i), Pid: 100 + i, StartTime: 7, Added: time.Unix(int64(i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	l.Remove("a1")
	l.Add(Entry{ID: "a2", Pid: 202}) // replaces
	// Another reader (the next corral, corral ps) sees the same entries.
	es, err := ListDir(data)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(es)) != "[a0 a2]" || es[1].Pid != 202 {
		t.Fatalf("entries %+v", es)
	}
	// A torn last line, all a crash during a write can leave, is ignored.
	f, _ := os.OpenFile(l.self, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"add":{"id":"torn","pi`)
	f.Close()
	if es, _ := ListDir(data); fmt.Sprint(ids(es)) != "[a0 a2]" {
		t.Fatalf("after a torn line: %v", ids(es))
	}
	l.Remove("a0")
	l.Remove("a2")
	if es, _ := ListDir(data); len(es) != 0 {
		t.Fatalf("entries %v", es)
	}
	l.Close()
	if _, err := os.Stat(l.self); !os.IsNotExist(err) {
		t.Fatalf("empty journal not deleted at Close: %v", err)
	}
	if es, _ := l.List(); len(es) != 0 {
		t.Fatalf("entries %v", es)
	}
}

func TestFileLedgerCompacts(t *testing.T) {
	l, err := NewFileLedger(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.NoSync = true
	l.Add(Entry{ID: "keep"})
	for i := range 1000 {
		id := fmt.Sprint("p", i)
		l.Add(Entry{ID: id, Command: "a command line of some length to make the file grow"})
		l.Remove(id)
	}
	st, err := os.Stat(l.self)
	if err != nil {
		t.Fatal(err)
	}
	// Without compaction the journal would hold 2,001 lines.
	if st.Size() > 200*100 {
		t.Fatalf("journal of %d bytes after compaction", st.Size())
	}
	if es, _ := ListDir(filepath.Dir(l.Dir())); fmt.Sprint(ids(es)) != "[keep]" {
		t.Fatalf("entries %v", ids(es))
	}
	if tmp, _ := filepath.Glob(filepath.Join(l.Dir(), ".corral-*")); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
}

func TestFileLedgerKeepsOtherCorralsApart(t *testing.T) {
	data := t.TempDir()
	mine, err := NewFileLedger(data)
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	// A second corral process writes its own file in the same directory.
	other := &FileLedger{dir: mine.Dir(), self: filepath.Join(mine.Dir(), "corral-999999999.jsonl"), live: map[string]Entry{}}
	defer other.Close()
	mine.Add(Entry{ID: "m"})
	other.Add(Entry{ID: "o1"})
	other.Add(Entry{ID: "o2"})
	if es, _ := mine.List(); fmt.Sprint(ids(es)) != "[m o1 o2]" {
		t.Fatalf("list %v", ids(es))
	}
	// A sweep removes a dead corral's entry from that corral's file.
	if err := mine.Remove("o1"); err != nil {
		t.Fatal(err)
	}
	if es, _ := ListDir(data); fmt.Sprint(ids(es)) != "[m o2]" {
		t.Fatalf("after remove %v", ids(es))
	}
}

// memLedger is a Ledger kept in memory only.
type memLedger struct {
	mu      sync.Mutex
	entries []Entry
}

func (l *memLedger) Add(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = slices.DeleteFunc(l.entries, func(x Entry) bool { return x.ID == e.ID })
	l.entries = append(l.entries, e)
	return nil
}

func (l *memLedger) Remove(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = slices.DeleteFunc(l.entries, func(x Entry) bool { return x.ID == id })
	return nil
}

func (l *memLedger) List() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries), nil
}
