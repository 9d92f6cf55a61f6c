package session

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProjectRoot(t *testing.T) {
	repos := map[string]bool{"/src/corral": true, "/src/corral/vendor/lib": true}
	isRepo := func(d string) bool { return repos[filepath.ToSlash(d)] }
	for cwd, want := range map[string]string{
		"/src/corral":              "/src/corral",
		"/src/corral/web/src":      "/src/corral",
		"/src/corral/vendor/lib/x": "/src/corral/vendor/lib",
		"/tmp/scratch":             "/tmp/scratch",
		"/src/corral/web/../api/":  "/src/corral",
		"":                         "",
	} {
		got := filepath.ToSlash(projectRoot(filepath.FromSlash(cwd), isRepo))
		if got != want {
			t.Errorf("projectRoot(%q) = %q, want %q", cwd, got, want)
		}
	}
}

func TestProjectOfOnDisk(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := projectOf(sub); got != sub {
		t.Fatalf("no repository: %q", got)
	}
	// A worktree's .git is a file.
	other := filepath.Join(root, "wt", "pkg")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(root, "wt", ".git"), []byte("gitdir: /x\n"), 0o644)
	if got := projectOf(other); got != filepath.Join(root, "wt") {
		t.Fatalf("worktree: %q", got)
	}
}
