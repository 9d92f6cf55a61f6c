package policy

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"
)

// TestSHA256PinSameSizeRewrite: a pinned program rewritten in place with
// the same size and its modification time put back must be hashed again
// and denied. The attacker controls size and mtime (os.Chtimes), not the
// inode change time.
func TestSHA256PinSameSizeRewrite(t *testing.T) {
	f := newFixture(t)
	// An old mtime, as an installed program has.
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	if err := os.Chtimes(f.prog, old, old); err != nil {
		t.Fatal(err)
	}
	toml := "[[capability]]\nname = \"pinned\"\nprogram = \"{{prog}}\"\nsha256 = \"{{sha}}\"\n"
	p, _ := f.policy(t, toml, Options{})
	for i := 0; i < 2; i++ {
		if _, err := p.Check(Request{Capability: "pinned"}); err != nil {
			t.Fatalf("pinned check %d: %v", i, err)
		}
	}
	orig, err := os.ReadFile(f.prog)
	if err != nil {
		t.Fatal(err)
	}
	evil := bytes.Replace(orig, []byte("echo tool"), []byte("echo EVIL"), 1)
	if len(evil) != len(orig) || bytes.Equal(evil, orig) {
		t.Fatalf("test program %q cannot be rewritten at the same size", orig)
	}
	w, err := os.OpenFile(f.prog, os.O_WRONLY, 0) // same inode
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteAt(evil, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f.prog, old, old); err != nil {
		t.Fatal(err)
	}
	_, err = p.Check(Request{Capability: "pinned"})
	var d *Denied
	if !errors.As(err, &d) || d.Rule != RuleSHA256Mismatch || d.Pattern != f.sha {
		t.Fatalf("same-size rewrite with restored mtime: err = %v, want %s", err, RuleSHA256Mismatch)
	}
	// Putting the pinned bytes back (again restoring the mtime) is allowed.
	if err := os.WriteFile(f.prog, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f.prog, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(Request{Capability: "pinned"}); err != nil {
		t.Fatalf("restored program: %v", err)
	}
}

// TestPinCacheable: a fingerprint stands in for the hash only with a
// ctime, and only when that ctime is older than the hash by more than the
// racy window (a write in the same clock tick can leave ctime unchanged).
func TestPinCacheable(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	at := func(d time.Duration) fingerprint { return fingerprint{ctime: start.Add(d).UnixNano()} }
	for _, tt := range []struct {
		name     string
		fp       fingerprint
		hasCtime bool
		want     bool
	}{
		{"old ctime", at(-time.Hour), true, true},
		{"just outside the window", at(-racyWindow - time.Nanosecond), true, true},
		{"at the window", at(-racyWindow), true, false},
		{"same tick as the hash", at(0), true, false},
		{"ctime in the future", at(time.Minute), true, false},
		{"no ctime on this platform", at(-time.Hour), false, false},
	} {
		if got := cacheable(tt.fp, tt.hasCtime, start); got != tt.want {
			t.Errorf("%s: cacheable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
