//go:build unix

package store_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// TestFilesArePrivate checks that a database created in a directory that
// already exists (so Open's 0700 MkdirAll does not apply) is readable by
// its owner only, and so are the WAL and shared-memory files SQLite
// creates beside it, whatever the process umask allows.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, store.Options{})
	if err := s.Append(event.Event{Kind: event.Stdout}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{store.FileName, store.FileName + "-wal", store.FileName + "-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, perm)
		}
	}
}
