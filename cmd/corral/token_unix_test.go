//go:build unix

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A token file others may read (or write) is refused with a message that
// says how to fix it; --rotate-token replaces it with a private one.
func TestLoadTokenRefusesLooseMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	tok := strings.Repeat("t", 40)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o602, 0o666} {
		if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		got, err := loadToken(p)
		if err == nil {
			t.Fatalf("mode %v: token %q accepted", mode, got)
		}
		var me *TokenModeError
		if !errors.As(err, &me) || me.Mode != mode {
			t.Fatalf("mode %v: error %T %v, want a *TokenModeError with the mode", mode, err, err)
		}
		for _, want := range []string{p, "chmod 600", "--rotate-token"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("mode %v: error %q does not say %q", mode, err, want)
			}
		}
		// the same through serve's own path (the data directory's file)
		if _, err := serveToken(dir, "", false); !errors.As(err, &me) {
			t.Fatalf("mode %v: serveToken: %v", mode, err)
		}
	}
	// the fixes: chmod 600 ...
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := loadToken(p); err != nil || got != tok {
		t.Fatalf("mode 0600: %q %v", got, err)
	}
	for _, mode := range []os.FileMode{0o400, 0o700} {
		os.Chmod(p, mode)
		if got, err := loadToken(p); err != nil || got != tok {
			t.Fatalf("mode %v: %q %v", mode, got, err)
		}
	}
	// ... or --rotate-token, which leaves a private file that loads
	os.Chmod(p, 0o644)
	fresh, err := serveToken(dir, "", true)
	if err != nil || fresh == tok {
		t.Fatalf("rotate: %q %v", fresh, err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("rotated file: %v %v", fi.Mode(), err)
	}
	if got, err := serveToken(dir, "", false); err != nil || got != fresh {
		t.Fatalf("after rotate: %q %v", got, err)
	}
}

func TestTokenModeLoose(t *testing.T) {
	for mode, want := range map[os.FileMode]bool{
		0o600: false, 0o400: false, 0o700: false, 0o200: false,
		0o640: true, 0o644: true, 0o604: true, 0o620: true, 0o602: true, 0o610: true, 0o601: true,
	} {
		if got := tokenModeLoose(mode); got != want {
			t.Errorf("tokenModeLoose(%v) = %v, want %v", mode, got, want)
		}
	}
}
