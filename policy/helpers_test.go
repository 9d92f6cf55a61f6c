package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/corral-dev/corral/event"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is a scratch tree: bin/ holds an executable "tool", root/ is an
// allowed cwd root with a sub directory and a symlink "escape" pointing to
// outside/.
type fixture struct {
	dir, bin, root, outside, prog string
	sha                           string
}

func exeName(n string) string {
	if runtime.GOOS == "windows" {
		return n + ".exe"
	}
	return n
}

func mkProg(t testing.TB, dir, name string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, exeName(name))
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho "+name+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: d, bin: filepath.Join(d, "bin"), root: filepath.Join(d, "root"), outside: filepath.Join(d, "outside")}
	f.prog = mkProg(t, f.bin, "tool", 0o755)
	for _, p := range []string{filepath.Join(f.root, "sub", "deep"), f.outside, f.root + "x"} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(f.root, "file.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Symlink(f.outside, filepath.Join(f.root, "escape")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(f.root, "sub"), filepath.Join(f.root, "inner")); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(f.prog)
	sum := sha256.Sum256(b)
	f.sha = hex.EncodeToString(sum[:])
	return f
}

func (f *fixture) expand(s string) string {
	r := strings.NewReplacer("{{bin}}", filepath.ToSlash(f.bin), "{{root}}", filepath.ToSlash(f.root),
		"{{prog}}", filepath.ToSlash(f.prog), "{{sha}}", f.sha, "{{dir}}", filepath.ToSlash(f.dir))
	return r.Replace(s)
}

// config returns the rules of toml with the fixture's paths expanded.
func (f *fixture) config(t testing.TB, toml string) Rules {
	t.Helper()
	return testRules(t, f.expand(toml))
}

// recorder collects audit events.
type recorder struct {
	mu  sync.Mutex
	evs []event.Event
}

func (r *recorder) sink(ev event.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) take() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.evs
	r.evs = nil
	return out
}

func (f *fixture) environ() []string {
	return []string{
		"PATH=" + f.bin, "HOME=" + f.dir, "LANG=C.UTF-8", "LC_ALL=C", "LC_TIME=en_GB",
		"SECRET_TOKEN=hunter2", "LD_PRELOAD=/tmp/evil.so", "NODE_OPTIONS=--require /tmp/evil.js",
		"ANTHROPIC_API_KEY=sk-test", "ANTHROPIC_LOG=debug", "LC_PRELOADISH=x",
	}
}

func (f *fixture) policy(t testing.TB, toml string, opts Options) (*Policy, *recorder) {
	t.Helper()
	rec := &recorder{}
	if opts.Sink == nil {
		opts.Sink = rec.sink
	}
	if opts.Environ == nil {
		env := f.environ()
		opts.Environ = func() []string { return env }
	}
	if opts.ExecutableDir == "" {
		opts.ExecutableDir = f.bin
	}
	p, err := New(f.config(t, toml), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, rec
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
