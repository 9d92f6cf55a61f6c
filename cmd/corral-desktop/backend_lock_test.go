package main

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/corral-dev/corral/internal/datalock"
)

// The desktop app does not open a data directory another corral holds (a
// corral serve): it would recover that one's live sessions and then
// collide with its writes.
func TestOpenBackendRefusesAHeldDataDir(t *testing.T) {
	dir := t.TempDir()
	l, err := datalock.Acquire(dir, "corral serve")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	cfg := dir + "/config.toml"
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	be, err := openBackend(t.Context(), options{Data: dir, Config: cfg}, slog.New(slog.DiscardHandler))
	if err == nil {
		be.Close(t.Context())
		t.Fatal("opened a data directory held by another corral")
	}
	if !strings.Contains(err.Error(), "in use by corral serve") {
		t.Fatalf("error %q does not name the holder", err)
	}
}
