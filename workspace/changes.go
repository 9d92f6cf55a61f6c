package workspace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Limits bound what Changes loads, so that its memory stays bounded whatever
// the agent did. A file over a per-file limit, or past the total limits, is
// listed with its counts and TooLarge set but without hunks.
type Limits struct {
	// MaxFileLines: added+deleted lines above which a file shows no hunks.
	// Default 5000.
	MaxFileLines int
	// MaxFileBytes: old or new size above which a file shows no hunks.
	// Default 1 MiB.
	MaxFileBytes int64
	// MaxTotalLines and MaxTotalBytes bound the hunks of all files
	// together (files are taken in path order). Default 50000 lines, 8 MiB.
	MaxTotalLines int
	MaxTotalBytes int64
	// MaxFiles bounds the files listed at all; the rest are only counted
	// (Changes.OmittedFiles). Default 10000.
	MaxFiles int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxFileLines, 5000)
	def64(&l.MaxFileBytes, 1<<20)
	def(&l.MaxTotalLines, 50000)
	def64(&l.MaxTotalBytes, 8<<20)
	def(&l.MaxFiles, 10000)
	return l
}

// Changes is the difference between two states of a workspace.
type Changes struct {
	// From and To are the compared commits or trees.
	From  string       `json:"from"`
	To    string       `json:"to"`
	Files []FileChange `json:"files"`
	// OmittedFiles counts changed files past Limits.MaxFiles (not listed).
	OmittedFiles int `json:"omittedFiles,omitempty"`
}

// FileChange is one changed file.
type FileChange struct {
	Path string `json:"path"`
	// OldPath is the path before a rename or copy.
	OldPath string `json:"oldPath,omitempty"`
	// Status: "added", "modified", "deleted", "renamed", "copied" or
	// "typechange".
	Status    string `json:"status"`
	Additions int    `json:"additions"`
	Deletions int    `json:"deletions"`
	Binary    bool   `json:"binary"`
	// TooLarge is set when the hunks were left out; TooLargeReason says
	// why: "file" (over a per-file limit) or "total" (the total limits
	// were reached before this file).
	TooLarge       bool   `json:"tooLarge,omitempty"`
	TooLargeReason string `json:"tooLargeReason,omitempty"`
	// Fingerprint identifies the To side of the file as it was read
	// ("<mode> <blob>", or "deleted"). Discard takes it back and refuses if
	// the file changed since.
	Fingerprint string `json:"fingerprint"`
	Hunks       []Hunk `json:"hunks,omitempty"`
}

// Hunk is one hunk of a text diff.
type Hunk struct {
	// ID is stable: a hash of the path and the hunk's lines (not its
	// position), so a hunk keeps its ID while other hunks change. A repeated
	// identical hunk in one file gets "-2", "-3"... appended.
	ID       string `json:"id"`
	Header   string `json:"header"` // "@@ -1,3 +1,4 @@ func f()"
	OldStart int    `json:"oldStart"`
	OldLines int    `json:"oldLines"`
	NewStart int    `json:"newStart"`
	NewLines int    `json:"newLines"`
	// Lines are the hunk's lines with their prefix (' ', '+', '-') and no
	// line end; "\ No newline at end of file" follows a line without one.
	Lines []string `json:"lines"`
}

// ChangesOptions select what Changes compares.
type ChangesOptions struct {
	// From is a checkpoint Seq, or 0 for the base commit.
	From int
	// To is a checkpoint Seq, or 0 for the worktree now (untracked files
	// included, ignored files not).
	To int
}

// Changes returns the changes between From and To. It reads the worktree
// without changing the user's index.
func (m *Manager) Changes(ctx context.Context, ws Workspace, o ChangesOptions) (Changes, error) {
	unlock, err := m.lock(ctx, ws, false)
	if err != nil {
		return Changes{}, err
	}
	defer unlock()
	from, err := m.side(ctx, ws, o.From, ws.BaseCommit)
	if err != nil {
		return Changes{}, err
	}
	to := ""
	if o.To == 0 {
		t, _, err := m.newTempIndex(ctx, ws)
		if err != nil {
			return Changes{}, err
		}
		to, err = m.snapshot(ctx, ws, t)
		t.close()
		if err != nil {
			return Changes{}, err
		}
	} else if to, err = m.side(ctx, ws, o.To, ""); err != nil {
		return Changes{}, err
	}
	return m.diff(ctx, ws.Path, from, to, nil)
}

// side resolves a checkpoint Seq, or def for 0.
func (m *Manager) side(ctx context.Context, ws Workspace, seq int, def string) (string, error) {
	if seq == 0 {
		return def, nil
	}
	cp, err := m.checkpoint(ctx, ws, seq)
	return cp.Commit, err
}

// diff lists the changes from -> to (commit-ish or trees), limited to paths
// when given, and loads the hunks of the files within the limits. The
// first pass ("--raw") compares trees only; blob sizes decide which files'
// patches are loaded (bounding memory before anything is read); line counts
// come from the parsed patch, and from "--numstat" only for files left out.
func (m *Manager) diff(ctx context.Context, dir, from, to string, paths []string) (Changes, error) {
	lim := m.opts.Limits
	args := []string{"diff-tree", "-r", "-z", "-M", "--raw", "--no-abbrev", from, to}
	if len(paths) > 0 {
		args = append(append(args, "--"), paths...)
	}
	out, _, err := m.gitRun(ctx, run{dir: dir, args: args, env: []string{"GIT_LITERAL_PATHSPECS=1"}})
	if err != nil {
		return Changes{}, err
	}
	entries, err := parseRawNumstat(out)
	if err != nil {
		return Changes{}, err
	}
	ch := Changes{From: from, To: to}
	if len(entries) > lim.MaxFiles {
		ch.OmittedFiles = len(entries) - lim.MaxFiles
		entries = entries[:lim.MaxFiles]
	}
	sizes, err := m.blobSizes(ctx, dir, entries)
	if err != nil {
		return Changes{}, err
	}
	want, budget := selectByBytes(entries, sizes, lim)
	ch.Files = make([]FileChange, len(entries))
	byPath := make(map[string]*FileChange, len(entries))
	var rest []string
	for i := range entries {
		ch.Files[i] = entries[i].fc
		byPath[ch.Files[i].Path] = &ch.Files[i]
		if !entries[i].want {
			rest = append(rest, entries[i].fc.Path)
			if o := entries[i].fc.OldPath; o != "" {
				rest = append(rest, o)
			}
		}
	}
	if len(want) > 0 {
		if len(rest) == 0 { // every file: no pathspec to match
			want = paths
		}
		if err := m.loadHunks(ctx, dir, from, to, want, budget, byPath); err != nil {
			return Changes{}, err
		}
		capLines(ch.Files, lim)
	}
	if len(rest) > 0 {
		if err := m.countLines(ctx, dir, from, to, rest, byPath); err != nil {
			return Changes{}, err
		}
	}
	return ch, nil
}

// selectByBytes marks the entries whose patches are loaded: those within
// the per-file and total byte limits. It returns their paths (old paths of
// renames too) and a bound of their patch size.
func selectByBytes(entries []rawEntry, sizes map[string]int64, lim Limits) ([]string, int64) {
	var want []string
	var total, budget int64
	for i := range entries {
		e := &entries[i]
		old, cur := sizes[e.oldOID], sizes[e.newOID]
		switch {
		case old > lim.MaxFileBytes || cur > lim.MaxFileBytes:
			e.fc.TooLarge, e.fc.TooLargeReason = true, "file"
		case total+old+cur > lim.MaxTotalBytes:
			e.fc.TooLarge, e.fc.TooLargeReason = true, "total"
		default:
			total += old + cur
			budget += old + cur + 1024
			e.want = true
			want = append(want, e.fc.Path)
			if e.fc.OldPath != "" {
				want = append(want, e.fc.OldPath)
			}
		}
	}
	return want, budget
}

// capLines drops the hunks of files over the line limits, in order.
func capLines(files []FileChange, lim Limits) {
	total := 0
	for i := range files {
		f := &files[i]
		if len(f.Hunks) == 0 {
			continue
		}
		n := f.Additions + f.Deletions
		switch {
		case n > lim.MaxFileLines:
			f.Hunks, f.TooLarge, f.TooLargeReason = nil, true, "file"
		case total+n > lim.MaxTotalLines:
			f.Hunks, f.TooLarge, f.TooLargeReason = nil, true, "total"
		default:
			total += n
		}
	}
}

// countLines fills in the line counts (and binary flag) of files whose
// patches were not loaded.
func (m *Manager) countLines(ctx context.Context, dir, from, to string, paths []string, byPath map[string]*FileChange) error {
	args := append([]string{"diff-tree", "-r", "-z", "-M", "--raw", "--numstat", "--no-abbrev", from, to, "--"}, paths...)
	out, _, err := m.gitRun(ctx, run{dir: dir, args: args, env: []string{"GIT_LITERAL_PATHSPECS=1"}})
	if err != nil {
		return err
	}
	entries, err := parseRawNumstat(out)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if fc := byPath[e.fc.Path]; fc != nil && len(fc.Hunks) == 0 {
			fc.Additions, fc.Deletions, fc.Binary = e.fc.Additions, e.fc.Deletions, e.fc.Binary
		}
	}
	return nil
}

// loadHunks runs the patch of the wanted paths (all when empty) and fills
// in their hunks, line counts and binary flags.
func (m *Manager) loadHunks(ctx context.Context, dir, from, to string, want []string, budget int64, byPath map[string]*FileChange) error {
	args := []string{"diff-tree", "-r", "-p", "-M", "--no-color", "--no-ext-diff", "--full-index", from, to}
	if len(want) > 0 {
		args = append(append(args, "--"), want...)
	}
	out, _, err := m.gitRun(ctx, run{dir: dir, args: args, env: []string{"GIT_LITERAL_PATHSPECS=1"}, maxOut: int(budget) + 1<<16})
	if err != nil {
		return err
	}
	files, _, err := gitdiff.Parse(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("parsing git diff output: %w", err)
	}
	for _, f := range files {
		name := f.NewName
		if f.IsDelete {
			name = f.OldName
		}
		fc := byPath[name]
		if fc == nil {
			continue
		}
		fc.Binary = f.IsBinary
		fc.Hunks = hunksOf(fc.Path, f.TextFragments)
		for _, fr := range f.TextFragments {
			fc.Additions += int(fr.LinesAdded)
			fc.Deletions += int(fr.LinesDeleted)
		}
	}
	return nil
}

// hunksOf converts fragments and gives them stable IDs.
func hunksOf(path string, frags []*gitdiff.TextFragment) []Hunk {
	seen := map[string]int{}
	hunks := make([]Hunk, 0, len(frags))
	for _, f := range frags {
		h := Hunk{
			Header:   strings.TrimSuffix(f.Header(), "\n"),
			OldStart: int(f.OldPosition), OldLines: int(f.OldLines),
			NewStart: int(f.NewPosition), NewLines: int(f.NewLines),
			Lines: make([]string, 0, len(f.Lines)),
		}
		sum := sha256.New()
		sum.Write([]byte(path))
		for _, l := range f.Lines {
			sum.Write([]byte{0})
			sum.Write([]byte(l.String()))
			h.Lines = append(h.Lines, strings.TrimSuffix(l.String(), "\n"))
			if l.NoEOL() {
				h.Lines = append(h.Lines, `\ No newline at end of file`)
			}
		}
		id := hex.EncodeToString(sum.Sum(nil)[:6])
		seen[id]++
		if n := seen[id]; n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		h.ID = id
		hunks = append(hunks, h)
	}
	return hunks
}

// rawEntry is one file of "diff-tree --raw --numstat -z".
type rawEntry struct {
	fc             FileChange
	oldOID, newOID string
	want           bool
}

// parseRawNumstat parses "git diff-tree -r -z -M --raw --numstat" output:
// all raw records, then the numstat records in the same order.
func parseRawNumstat(out []byte) ([]rawEntry, error) {
	tok := splitNul(out)
	var list []rawEntry
	i := 0
	for i < len(tok) && strings.HasPrefix(tok[i], ":") {
		f := strings.Fields(tok[i][1:])
		if len(f) != 5 || i+1 >= len(tok) {
			return nil, fmt.Errorf("git diff-tree: bad raw record %q", tok[i])
		}
		e := rawEntry{oldOID: f[2], newOID: f[3]}
		e.fc.Status = statusName(f[4][0])
		i++
		if f[4][0] == 'R' || f[4][0] == 'C' {
			if i+1 >= len(tok) {
				return nil, fmt.Errorf("git diff-tree: truncated rename record")
			}
			e.fc.OldPath, e.fc.Path = tok[i], tok[i+1]
			i += 2
		} else {
			e.fc.Path = tok[i]
			i++
		}
		e.fc.Fingerprint = "deleted"
		if e.fc.Status != "deleted" {
			e.fc.Fingerprint = f[1] + " " + f[3]
		}
		list = append(list, e)
	}
	for n := 0; n < len(list) && i < len(tok); n++ {
		f := strings.SplitN(tok[i], "\t", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("git diff-tree: bad numstat record %q", tok[i])
		}
		i++
		if f[2] == "" { // rename: the two paths follow
			i += 2
		}
		fc := &list[n].fc
		if f[0] == "-" {
			fc.Binary = true
			continue
		}
		fc.Additions, _ = strconv.Atoi(f[0])
		fc.Deletions, _ = strconv.Atoi(f[1])
	}
	return list, nil
}

func statusName(c byte) string {
	switch c {
	case 'A':
		return "added"
	case 'D':
		return "deleted"
	case 'R':
		return "renamed"
	case 'C':
		return "copied"
	case 'T':
		return "typechange"
	}
	return "modified"
}

const zeroOID = "0000000000000000000000000000000000000000"

// blobSizes asks git for the sizes of the entries' blobs (one process).
func (m *Manager) blobSizes(ctx context.Context, dir string, entries []rawEntry) (map[string]int64, error) {
	var in bytes.Buffer
	for _, e := range entries {
		if e.fc.Binary {
			continue
		}
		for _, oid := range []string{e.oldOID, e.newOID} {
			if oid != zeroOID {
				in.WriteString(oid + "\n")
			}
		}
	}
	sizes := map[string]int64{}
	if in.Len() == 0 {
		return sizes, nil
	}
	out, _, err := m.gitRun(ctx, run{dir: dir, args: []string{"cat-file", "--batch-check=%(objectname) %(objectsize)"}, stdin: in.Bytes()})
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		oid, size, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(size, 10, 64)
		if err == nil {
			sizes[oid] = n
		}
	}
	return sizes, nil
}
