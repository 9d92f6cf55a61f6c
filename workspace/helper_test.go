package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchBase != "" {
		os.RemoveAll(benchBase)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// env is a test's home (with a git identity) and root.
type env struct {
	t    testing.TB
	home string
	root string
	m    *Manager
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvAt(t, t.TempDir())
}

// newEnvAt makes an env in base (which the caller removes).
func newEnvAt(t testing.TB, base string) *env {
	t.Helper()
	base, _ = filepath.EvalSymlinks(base)
	e := &env{t: t, home: filepath.Join(base, "home"), root: filepath.Join(base, "root")}
	os.MkdirAll(e.home, 0o755)
	cfg := "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n[advice]\n\tdetachedHead = false\n"
	if err := os.WriteFile(filepath.Join(e.home, ".gitconfig"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := New(context.Background(), Options{Root: e.root, Home: e.home})
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	return e
}

// git runs git for the test's own setup and checks, with the same clean
// environment the package uses.
func (e *env) git(dir string, args ...string) string {
	e.t.Helper()
	out, err := e.gitErr(dir, args...)
	if err != nil {
		e.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(out)
}

func (e *env) gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.home, "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// repo makes a repository with the given files committed on main.
func (e *env) repo(files map[string]string) string {
	e.t.Helper()
	dir := filepath.Join(filepath.Dir(e.root), "repo-"+fmt.Sprint(len(e.t.Name())+len(files))+"-"+randomID()[:6])
	os.MkdirAll(dir, 0o755)
	e.git(dir, "init", "-q")
	if files == nil {
		files = map[string]string{"README.md": "hello\n"}
	}
	e.write(dir, files)
	e.git(dir, "add", "-A")
	e.git(dir, "commit", "-q", "-m", "initial")
	return dir
}

func (e *env) write(dir string, files map[string]string) {
	e.t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) read(dir, p string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *env) create(repo, name string) Workspace {
	e.t.Helper()
	ws, err := e.m.Create(context.Background(), CreateOptions{Repo: repo, ID: "s" + randomID()[:10], Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return ws
}

func (e *env) commitAll(dir, msg string) string {
	e.t.Helper()
	e.git(dir, "add", "-A")
	e.git(dir, "commit", "-q", "-m", msg)
	return e.git(dir, "rev-parse", "HEAD")
}

// rootEntries lists the names under the root.
func (e *env) rootEntries() []string {
	ents, _ := os.ReadDir(e.root)
	var names []string
	for _, x := range ents {
		names = append(names, x.Name())
	}
	return names
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T), want %T", err, err, target)
	}
	return target
}
