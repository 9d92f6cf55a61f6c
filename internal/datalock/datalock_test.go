package datalock

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

func TestAcquireIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := Acquire(dir, "corral serve")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("lock file: %v %v", fi, err)
	}
	// a second claim (another open file, as another process would have)
	// is refused and names the holder
	_, err = Acquire(dir, "corral-desktop")
	var he *HeldError
	if !errors.As(err, &he) {
		t.Fatalf("second Acquire: %v", err)
	}
	if he.Owner.PID != os.Getpid() || he.Owner.Program != "corral serve" || he.Owner.Started.IsZero() {
		t.Fatalf("owner %+v", he.Owner)
	}
	if msg := he.Error(); msg != "the data directory "+dir+" is in use by corral serve (pid "+strconv.Itoa(os.Getpid())+")" {
		t.Fatalf("message %q", msg)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(); err != nil {
		t.Fatal("second Release:", err)
	}
	// released: the directory can be claimed again, and the record is the
	// new holder's
	b, err := Acquire(dir, "corral-desktop")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	_, err = Acquire(dir, "x")
	if !errors.As(err, &he) || he.Owner.Program != "corral-desktop" {
		t.Fatalf("after re-acquire: %v", err)
	}
}

func TestHeldErrorWithoutRecord(t *testing.T) {
	e := &HeldError{Dir: "/d"}
	if e.Error() != "the data directory /d is in use by another corral" {
		t.Fatal(e.Error())
	}
}
