package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// numbered returns n lines "line 1\n"...
func numbered(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func replaceLine(s string, n int, with string) string {
	return strings.Replace(s, fmt.Sprintf("line %d\n", n), with, 1)
}

func fileOf(t *testing.T, ch Changes, path string) FileChange {
	t.Helper()
	for _, f := range ch.Files {
		if f.Path == path {
			return f
		}
	}
	t.Fatalf("no change for %s in %+v", path, ch.Files)
	return FileChange{}
}

func TestChangesKindsAndStableHunkIDs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	long := numbered(100)
	repo := e.repo(map[string]string{"long.txt": long, "del.txt": "x\n", "old/name.txt": numbered(20), "bin.dat": "\x00\x01\x02", ".gitignore": "*.log\n"})
	ws := e.create(repo, "changes")
	e.write(ws.Path, map[string]string{
		"long.txt":    replaceLine(replaceLine(long, 10, "ten\n"), 80, "eighty\n"),
		"new.txt":     "fresh\nfile", // no final newline
		"bin.dat":     "\x00\x09\x09",
		"ignored.log": "x\n",
	})
	os.Remove(filepath.Join(ws.Path, "del.txt"))
	os.MkdirAll(filepath.Join(ws.Path, "new-dir"), 0o755)
	os.Rename(filepath.Join(ws.Path, "old/name.txt"), filepath.Join(ws.Path, "new-dir/name.txt"))

	ch, err := e.m.Changes(ctx, ws, ChangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Files) != 5 {
		t.Fatalf("files %+v", ch.Files)
	}
	lf := fileOf(t, ch, "long.txt")
	if lf.Status != "modified" || lf.Additions != 2 || lf.Deletions != 2 || len(lf.Hunks) != 2 {
		t.Fatalf("long.txt %+v", lf)
	}
	h := lf.Hunks[0]
	if !strings.HasPrefix(h.Header, "@@ -7,7 +7,7 @@") || h.OldStart != 7 || h.NewLines != 7 || h.Lines[3] != "-line 10" || h.Lines[4] != "+ten" {
		t.Fatalf("hunk %+v", h)
	}
	nf := fileOf(t, ch, "new.txt")
	if nf.Status != "added" || nf.Additions != 2 || nf.Hunks[0].Lines[2] != `\ No newline at end of file` {
		t.Fatalf("new.txt %+v", nf)
	}
	if df := fileOf(t, ch, "del.txt"); df.Status != "deleted" || df.Fingerprint != "deleted" || df.Deletions != 1 {
		t.Fatalf("del.txt %+v", df)
	}
	if rf := fileOf(t, ch, "new-dir/name.txt"); rf.Status != "renamed" || rf.OldPath != "old/name.txt" || len(rf.Hunks) != 0 {
		t.Fatalf("rename %+v", rf)
	}
	if bf := fileOf(t, ch, "bin.dat"); !bf.Binary || len(bf.Hunks) != 0 {
		t.Fatalf("binary %+v", bf)
	}
	if strings.Contains(e.git(ws.Path, "status", "--porcelain"), "A ") {
		t.Fatal("Changes staged something in the user's index")
	}

	// Changing the first hunk keeps the second hunk's ID.
	e.write(ws.Path, map[string]string{"long.txt": replaceLine(replaceLine(long, 10, "TEN\n"), 80, "eighty\n")})
	ch2, err := e.m.Changes(ctx, ws, ChangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lf2 := fileOf(t, ch2, "long.txt")
	if lf2.Hunks[1].ID != lf.Hunks[1].ID || lf2.Hunks[0].ID == lf.Hunks[0].ID || lf2.Fingerprint == lf.Fingerprint {
		t.Fatalf("ids before %s %s, after %s %s", lf.Hunks[0].ID, lf.Hunks[1].ID, lf2.Hunks[0].ID, lf2.Hunks[1].ID)
	}
}

func TestChangesBetweenCheckpoints(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := e.create(e.repo(map[string]string{"a.txt": "a\n"}), "between")
	e.write(ws.Path, map[string]string{"a.txt": "a1\n"})
	if _, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: 1}); err != nil {
		t.Fatal(err)
	}
	e.write(ws.Path, map[string]string{"a.txt": "a2\n", "b.txt": "b\n"})
	if _, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: 2}); err != nil {
		t.Fatal(err)
	}
	e.write(ws.Path, map[string]string{"c.txt": "c\n"})
	ch, err := e.m.Changes(ctx, ws, ChangesOptions{From: 1, To: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Files) != 2 || fileOf(t, ch, "a.txt").Hunks[0].Lines[0] != "-a1" || fileOf(t, ch, "b.txt").Status != "added" {
		t.Fatalf("1..2: %+v", ch.Files)
	}
	ch, err = e.m.Changes(ctx, ws, ChangesOptions{From: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Files) != 1 || ch.Files[0].Path != "c.txt" {
		t.Fatalf("2..now: %+v", ch.Files)
	}
	if _, err := e.m.Changes(ctx, ws, ChangesOptions{To: 7}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing checkpoint: %v", err)
	}
}

func TestChangesLimits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	files := map[string]string{}
	for i := 0; i < 6; i++ {
		files[fmt.Sprintf("f%d.txt", i)] = numbered(10)
	}
	repo := e.repo(files)
	e.m.opts.Limits = Limits{MaxFileLines: 30, MaxFileBytes: 1 << 20, MaxTotalLines: 6, MaxFiles: 5}.withDefaults()
	ws := e.create(repo, "limits")
	e.write(ws.Path, map[string]string{
		"f0.txt": replaceLine(numbered(10), 1, "x\n"), // 2 lines
		"f1.txt": numbered(10) + numbered(40),         // 40 lines: over the file limit
		"f2.txt": replaceLine(numbered(10), 2, "y\n"), // 2 lines (total 4)
		"f3.txt": replaceLine(numbered(10), 3, "z\n"), // 2 lines (total 6)
		"f4.txt": replaceLine(numbered(10), 4, "w\n"), // past the total
		"f5.txt": replaceLine(numbered(10), 5, "v\n"), // past MaxFiles
	})
	ch, err := e.m.Changes(ctx, ws, ChangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Files) != 5 || ch.OmittedFiles != 1 {
		t.Fatalf("files %d omitted %d", len(ch.Files), ch.OmittedFiles)
	}
	want := map[string]string{"f0.txt": "", "f1.txt": "file", "f2.txt": "", "f3.txt": "", "f4.txt": "total"}
	for _, f := range ch.Files {
		if f.TooLargeReason != want[f.Path] || f.TooLarge != (want[f.Path] != "") || (len(f.Hunks) == 0) != f.TooLarge {
			t.Fatalf("%s: tooLarge %v %q, %d hunks", f.Path, f.TooLarge, f.TooLargeReason, len(f.Hunks))
		}
		if f.Additions == 0 {
			t.Fatalf("%s: counts missing", f.Path)
		}
	}

	e.m.opts.Limits = Limits{MaxFileBytes: 100}.withDefaults()
	ch, err = e.m.Changes(ctx, ws, ChangesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f := fileOf(t, ch, "f1.txt"); !f.TooLarge || f.TooLargeReason != "file" {
		t.Fatalf("byte limit: %+v", f)
	}
	if f := fileOf(t, ch, "f0.txt"); f.TooLarge {
		t.Fatalf("small file marked: %+v", f)
	}
}

func TestParseRawNumstat(t *testing.T) {
	out := ":100644 100644 " + strings.Repeat("a", 40) + " " + strings.Repeat("b", 40) + " M\x00x.txt\x00" +
		":100644 100644 " + strings.Repeat("c", 40) + " " + strings.Repeat("c", 40) + " R100\x00old name\x00new\tname\x00" +
		":000000 100644 " + zeroOID + " " + strings.Repeat("d", 40) + " A\x00b.bin\x00" +
		"3\t1\tx.txt\x00" + "0\t0\t\x00old name\x00new\tname\x00" + "-\t-\tb.bin\x00"
	list, err := parseRawNumstat([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", []FileChange{list[0].fc, list[1].fc, list[2].fc})
	want := "[{Path:x.txt OldPath: Status:modified Additions:3 Deletions:1 Binary:false TooLarge:false TooLargeReason: Fingerprint:100644 " + strings.Repeat("b", 40) + " Hunks:[]} " +
		"{Path:new\tname OldPath:old name Status:renamed Additions:0 Deletions:0 Binary:false TooLarge:false TooLargeReason: Fingerprint:100644 " + strings.Repeat("c", 40) + " Hunks:[]} " +
		"{Path:b.bin OldPath: Status:added Additions:0 Deletions:0 Binary:true TooLarge:false TooLargeReason: Fingerprint:100644 " + strings.Repeat("d", 40) + " Hunks:[]}]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := parseRawNumstat([]byte(":bad\x00")); err == nil {
		t.Fatal("bad record accepted")
	}
}
