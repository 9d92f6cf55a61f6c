package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

func init() {
	register("export", &command{
		Summary: "write a session as Markdown or JSON Lines: corral export SESSION_ID [--format markdown|jsonl] [--out FILE]",
		Run:     exportCommand,
	})
}

// exportCommand writes a session's export. It reads the database in the
// data directory itself, whether or not `corral serve` runs on it (SQLite's
// WAL lets a reader work beside the server's writer; it sees what the
// server had committed when each page is read), as `corral doctor` does.
func exportCommand(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", g, stderr)
	format := fs.String("format", api.FormatMarkdown, "`markdown` (a readable transcript) or jsonl (one stored event per line)")
	out := fs.String("out", "", "write to `file` instead of stdout (replaced only once the export is complete)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: corral export SESSION_ID [--format markdown|jsonl] [--out FILE]")
		fs.PrintDefaults()
	}
	id, code, ok := parseWithOnePositional(fs, args, stderr)
	if !ok {
		return code
	}
	if *format != api.FormatMarkdown && *format != api.FormatJSONL {
		fmt.Fprintf(stderr, "corral export: --format must be markdown or jsonl, not %q\n", *format)
		return 2
	}
	dataDir := g.Data
	if dataDir == "" {
		var err error
		if dataDir, err = supervisorDataDir(g); err != nil {
			fmt.Fprintf(stderr, "corral export: %v\n", err)
			return 1
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, store.FileName)); err != nil {
		fmt.Fprintf(stderr, "corral export: no corral database in %s\n", dataDir)
		return 1
	}
	st, err := store.Open(dataDir, store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "corral export: %v\n", err)
		return 1
	}
	defer st.Close()
	if err := exportTo(ctx, storeExport{st}, id, *format, *out, stdout); err != nil {
		fmt.Fprintf(stderr, "corral export: %v\n", err)
		return 1
	}
	return 0
}

// parseWithOnePositional parses flags given before or after the one
// positional argument (the flag package stops at the first non-flag).
func parseWithOnePositional(fs *flag.FlagSet, args []string, stderr io.Writer) (string, int, bool) {
	var pos []string
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return "", code, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "corral %s: give exactly one session id (got %d)\n", strings.TrimPrefix(fs.Name(), "corral "), len(pos))
		fs.Usage()
		return "", 2, false
	}
	return pos[0], 0, true
}

// exportTo writes the export to out, or to stdout when out is "". A file
// is written next to out under a temporary name and renamed over it once
// complete, so a failed export leaves no half file behind.
func exportTo(ctx context.Context, src api.ExportSource, id, format, out string, stdout io.Writer) error {
	if out == "" {
		return api.WriteExport(ctx, src, id, format, stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	if err := api.WriteExport(ctx, src, id, format, f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), out); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// storeExport reads a session and its log straight from the store.
type storeExport struct{ st *store.Store }

func (s storeExport) Get(_ context.Context, id string) (session.Info, error) {
	r, err := s.st.GetSession(id)
	if errors.Is(err, store.ErrNotFound) {
		return session.Info{}, fmt.Errorf("no session %q in this data directory", id)
	}
	if err != nil {
		return session.Info{}, err
	}
	return session.Info{ID: r.ID, Agent: r.Agent, Cwd: r.Cwd, Model: r.Model, PermissionMode: r.PermissionMode,
		Status: session.Status(r.Status), Title: r.Title, CreatedAt: r.CreatedAt, LastActivity: r.LastActivity,
		CostUSD: r.Usage.CostUSD, InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens,
		Messages: r.Messages, AgentSessionID: r.AgentSessionID}, nil
}

func (s storeExport) Events(_ context.Context, id string, since int64, limit int) ([]event.Event, bool, error) {
	evs, err := s.st.Events(id, since, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	return evs, more, nil
}
