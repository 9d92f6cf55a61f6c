package session

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
)

func TestCheckAttachments(t *testing.T) {
	png := NewAttachment{Name: "a.png", MimeType: "image/png", Data: make([]byte, 600)}
	cases := []struct {
		name   string
		atts   []NewAttachment
		reason string
	}{
		{"within limits", []NewAttachment{png, png}, ""},
		{"one file too large", []NewAttachment{{Name: "big.bin", MimeType: "application/octet-stream", Data: make([]byte, 1001)}}, AttachFileTooLarge},
		{"message too large", []NewAttachment{png, png, png, png}, AttachMessageTooLarge},
		{"no name", []NewAttachment{{Name: " ", MimeType: "text/plain", Data: []byte("x")}}, AttachBadName},
		{"newline in name", []NewAttachment{{Name: "a\nb", MimeType: "text/plain", Data: []byte("x")}}, AttachBadName},
		{"bad type", []NewAttachment{{Name: "a", MimeType: "text", Data: []byte("x")}}, AttachBadType},
		{"type with parameters", []NewAttachment{{Name: "a", MimeType: "text/plain; charset=utf-8", Data: []byte("x")}}, AttachBadType},
		{"empty", []NewAttachment{{Name: "a", MimeType: "text/plain"}}, AttachEmpty},
	}
	for _, c := range cases {
		err := CheckAttachments(c.atts, 1000, 2000)
		var ae *AttachmentError
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.reason != "" && (!errors.As(err, &ae) || ae.Reason != c.reason || !errors.Is(err, ErrInvalid)):
			t.Errorf("%s: %v, want reason %s", c.name, err, c.reason)
		}
	}
	err := CheckAttachments([]NewAttachment{png, png, png, png}, 1000, 2000)
	var ae *AttachmentError
	if !errors.As(err, &ae) || ae.Size != 2400 || ae.Limit != 2000 {
		t.Fatalf("details %+v", ae)
	}
}

func TestSafeFileName(t *testing.T) {
	for in, want := range map[string]string{
		"shot.png":                        "shot.png",
		"../../etc/passwd":                "passwd",
		`C:\Users\me\My Doc.pdf`:          "My_Doc.pdf",
		".bashrc":                         "bashrc",
		"...":                             "attachment",
		"été @home.txt":                   "_t___home.txt",
		strings.Repeat("x", 300) + ".txt": strings.Repeat("x", 96) + ".txt",
	} {
		if got := SafeFileName(in); got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSaveAttachments(t *testing.T) {
	dir := t.TempDir()
	saved, recs, err := saveAttachments(dir, "s1", []NewAttachment{{Name: "../x.PNG", MimeType: "Image/PNG", Data: []byte("png")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || len(recs) != 1 || saved[0].ID != recs[0].ID || saved[0].MimeType != "image/png" {
		t.Fatalf("%+v %+v", saved, recs)
	}
	want := filepath.Join(dir, "s1", saved[0].ID, "x.PNG")
	if saved[0].Path != want {
		t.Fatalf("path %s, want %s", saved[0].Path, want)
	}
	if b, err := os.ReadFile(want); err != nil || string(b) != "png" {
		t.Fatalf("saved %q %v", b, err)
	}
	if infos := attachmentInfos(saved); infos[0].Size != 3 || infos[0].Name != "../x.PNG" {
		t.Fatalf("infos %+v", infos)
	}
}

func TestCommandMenu(t *testing.T) {
	claude := agent.ProtocolCapabilities("claude")
	menu := CommandMenu(claude, []string{"review", "compact", "clear", "init"})
	var names []string
	for _, c := range menu {
		names = append(names, c.Name)
	}
	if want := []string{"compact", "clear", "model", "init", "review"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	if !menu[0].Supported || !menu[1].Supported || menu[2].Supported || menu[2].Note == "" || menu[3].Source != "agent" {
		t.Fatalf("menu %+v", menu)
	}
	// An agent that advertised a list without compact cannot compact.
	if m := CommandMenu(claude, []string{"review"}); m[0].Supported {
		t.Fatalf("compact supported though not advertised: %+v", m[0])
	}
	// An ACP agent runs what it lists, /compact included.
	if m := CommandMenu(agent.ProtocolCapabilities("acp"), []string{"compact", "debug"}); !m[0].Supported || m[1].Supported || m[3].Name != "debug" {
		t.Fatalf("acp: %+v", m)
	}
	for _, c := range CommandMenu(agent.ProtocolCapabilities("codex"), nil) {
		if c.Supported || c.Note == "" {
			t.Errorf("codex: %+v", c)
		}
	}
	meta := withMetaCommands([]byte(`{"resumedFrom":"s-0"}`), []string{"a", "b"})
	if got := metaCommands(meta); !reflect.DeepEqual(got, []string{"a", "b"}) || !strings.Contains(string(meta), "resumedFrom") {
		t.Fatalf("meta %s → %v", meta, got)
	}
}

func TestMatchFiles(t *testing.T) {
	paths := []string{"web/src/App.svelte", "docs/api.md", "api/facade.go", "README.md", "api/api_test.go", "cmd/corral/main.go"}
	if got := MatchFiles(paths, "api", 10); !reflect.DeepEqual(got, []string{"docs/api.md", "api/api_test.go", "api/facade.go"}) {
		t.Fatalf("api: %v", got)
	}
	if got := MatchFiles(paths, "@APP", 10); !reflect.DeepEqual(got, []string{"web/src/App.svelte", "api/api_test.go"}) {
		t.Fatalf("case and @: %v", got)
	}
	if got := MatchFiles(paths, "cmdmain", 10); !reflect.DeepEqual(got, []string{"cmd/corral/main.go"}) {
		t.Fatalf("fuzzy: %v", got)
	}
	if got := MatchFiles(paths, "", 2); !reflect.DeepEqual(got, []string{"README.md", "docs/api.md"}) {
		t.Fatalf("empty query, limit 2: %v", got)
	}
	if got := MatchFiles(paths, "zzz", 10); len(got) != 0 {
		t.Fatalf("no match: %v", got)
	}
}

func writeFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListDirFilesGitignore(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("this test runs the real git: %v", err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, ".gitignore", "main.go", "build/out.bin", "node_modules/x/index.js", "notes/todo.md", "tracked.log")
	os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("build/\nnode_modules/\n*.log\n"), 0o644)
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-f", "main.go", "tracked.log") // tracked though ignored: listed
	got, err := ListDirFiles(context.Background(), dir, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"main.go", ".gitignore", "tracked.log", "notes/todo.md"}
	if got.Source != "git" || !reflect.DeepEqual(got.Files, want) {
		t.Fatalf("%+v, want %v from git", got, want)
	}
	// From a subdirectory, paths are relative to it.
	sub, err := ListDirFiles(context.Background(), filepath.Join(dir, "notes"), "todo", 10)
	if err != nil || !reflect.DeepEqual(sub.Files, []string{"todo.md"}) {
		t.Fatalf("sub: %+v %v", sub, err)
	}
}

func TestListDirFilesWalk(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, "a.txt", "node_modules/p/index.js", ".git/config", "src/b.go", "d1/d2/d3/deep.txt")
	got, err := ListDirFiles(context.Background(), dir, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != "walk" || !reflect.DeepEqual(got.Files, []string{"a.txt", "src/b.go", "d1/d2/d3/deep.txt"}) {
		t.Fatalf("%+v", got)
	}
	paths, truncated := walkFiles(context.Background(), dir, 2, 1000)
	if !truncated || slicesContains(paths, "d1/d2/d3/deep.txt") {
		t.Fatalf("depth 2: %v truncated=%v", paths, truncated)
	}
	paths, truncated = walkFiles(context.Background(), dir, 10, 3)
	if !truncated || len(paths) > 3 {
		t.Fatalf("scan bound 3: %v truncated=%v", paths, truncated)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if paths, truncated = walkFiles(ctx, dir, 10, 1000); !truncated || len(paths) != 0 {
		t.Fatalf("ended context: %v truncated=%v", paths, truncated)
	}
	if limited, _ := ListDirFiles(context.Background(), dir, "", 1); len(limited.Files) != 1 {
		t.Fatalf("limit 1: %v", limited.Files)
	}
	if _, err := ListDirFiles(context.Background(), filepath.Join(dir, "nope"), "", 1); !errors.Is(err, ErrInvalid) {
		t.Fatalf("missing dir: %v", err)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
