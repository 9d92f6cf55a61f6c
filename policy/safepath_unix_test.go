//go:build !windows

package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgramUnsafeDirectory: a program is refused when anyone but root or
// corral's user could replace it: its directory or any directory above it
// writable by others without the sticky bit, or a symlink on the way that
// lives in (or points into) such a directory. The denial names the
// directory and its mode.
func TestProgramUnsafeDirectory(t *testing.T) {
	f := newFixture(t)
	pub := filepath.Join(f.dir, "pub")
	prog := mkProg(t, filepath.Join(pub, "deep", "bin"), "tool", 0o755)
	capFor := func(program string) string {
		return "[[capability]]\nname = \"c\"\nprogram = \"" + filepath.ToSlash(program) + "\"\n"
	}
	check := func(program string) error {
		t.Helper()
		p, _ := f.policy(t, capFor(program), Options{})
		_, err := p.Check(Request{Capability: "c"})
		return err
	}
	if err := check(prog); err != nil {
		t.Fatalf("program in 0755 directories: %v", err)
	}

	for _, dir := range []string{filepath.Dir(prog), pub} { // its directory, then a parent
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		d := mustDeny(t, check(prog), RuleProgramWritable, quote(dir), "drwxrwxrwx")
		if d.Given != prog {
			t.Errorf("Given = %q, want the program %q", d.Given, prog)
		}
		p, err := New(f.config(t, capFor(prog)), Options{Strict: true, ExecutableDir: f.bin})
		if p != nil || err == nil {
			t.Errorf("strict New accepted a program below the 0777 directory %s", dir)
		}
		// The sticky bit stops others from replacing entries they do not
		// own, which makes a world-writable directory like /tmp safe.
		if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
			t.Fatal(err)
		}
		if err := check(prog); err != nil {
			t.Errorf("sticky 1777 directory %s: %v", dir, err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// A symlink in a world-writable directory: anyone can point it
	// elsewhere, even though its target is safe.
	links := filepath.Join(f.dir, "links")
	if err := os.MkdirAll(links, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(links, "tool")
	if err := os.Symlink(prog, link); err != nil {
		t.Fatal(err)
	}
	if err := check(link); err != nil {
		t.Fatalf("symlink to a safe program: %v", err)
	}
	if err := os.Chmod(links, 0o777); err != nil {
		t.Fatal(err)
	}
	mustDeny(t, check(link), RuleProgramWritable, quote(links))
	if err := os.Chmod(links, 0o755); err != nil {
		t.Fatal(err)
	}
	// A safe symlink whose target directory is world-writable.
	if err := os.Chmod(filepath.Dir(prog), 0o777); err != nil {
		t.Fatal(err)
	}
	mustDeny(t, check(link), RuleProgramWritable, quote(filepath.Dir(prog)))
	// The same through a relative symlink to a directory on the way.
	if err := os.Symlink("../pub/deep", filepath.Join(links, "deep")); err != nil {
		t.Fatal(err)
	}
	mustDeny(t, check(filepath.Join(links, "deep", "bin", "tool")), RuleProgramWritable, quote(filepath.Dir(prog)))
	if err := os.Chmod(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := check(filepath.Join(links, "deep", "bin", "tool")); err != nil {
		t.Errorf("relative symlinked directory: %v", err)
	}

	// Found on PATH: the same rules.
	if err := os.Chmod(filepath.Dir(prog), 0o777); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + filepath.Dir(prog)}
	p, _ := f.policy(t, "[[capability]]\nname = \"c\"\nprogram = \"tool\"\n", Options{Environ: func() []string { return env }})
	_, err := p.Check(Request{Capability: "c"})
	mustDeny(t, err, RuleProgramWritable, quote(filepath.Dir(prog)))
	// And agents: a built-in agent CLI in such a directory is unavailable.
	mkProg(t, filepath.Dir(prog), "claude", 0o755)
	p, _ = f.policy(t, "", Options{Environ: func() []string { return env }})
	_, err = p.Check(Request{Capability: AgentPrefix + "claude"})
	mustDeny(t, err, RuleProgramWritable, quote(filepath.Dir(prog)))
}

// TestProgramForeignOwner: a directory or program owned by a user other
// than root and corral's own user is refused (its owner could replace the
// program). Needs root to give a file away.
func TestProgramForeignOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	f := newFixture(t)
	prog := mkProg(t, filepath.Join(f.dir, "other", "bin"), "tool", 0o755)
	capFor := "[[capability]]\nname = \"c\"\nprogram = \"" + filepath.ToSlash(prog) + "\"\n"
	check := func() error {
		p, _ := f.policy(t, capFor, Options{})
		_, err := p.Check(Request{Capability: "c"})
		return err
	}
	for _, p := range []string{filepath.Dir(prog), prog} {
		if err := os.Chown(p, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		d := mustDeny(t, check(), RuleProgramWritable, quote(p), "4242")
		if !strings.Contains(d.Message, "owned by") {
			t.Errorf("message %q does not say who owns %s", d.Message, p)
		}
		if err := os.Chown(p, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := check(); err != nil {
		t.Fatalf("owned by root again: %v", err)
	}
}
