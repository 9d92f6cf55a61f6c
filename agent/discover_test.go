//go:build !windows

package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func fakeExe(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeDiscoverer isolates discovery: env from a map, a temporary home, and
// a runner that answers --version and the login shell without processes.
func fakeDiscoverer(t *testing.T, env map[string]string, loginPATH string, shellCalls *atomic.Int32) *Discoverer {
	home := t.TempDir()
	return &Discoverer{
		Getenv: func(k string) string { return env[k] },
		Home:   home,
		Run: func(_ context.Context, prog string, args ...string) ([]byte, error) {
			switch {
			case len(args) == 1 && args[0] == "--version":
				return []byte(filepath.Base(prog) + "-cli 1.2.3 (fake)\n"), nil
			case len(args) == 2 && args[0] == "-lc":
				shellCalls.Add(1)
				return []byte("Welcome to the profile!\n\n__CORRAL_PATH__" + loginPATH + "\n"), nil
			}
			return nil, errors.New("unexpected run " + prog)
		},
	}
}

func TestDiscoverOnPATH(t *testing.T) {
	bin := t.TempDir()
	want := fakeExe(t, bin, "codex")
	var calls atomic.Int32
	d := fakeDiscoverer(t, map[string]string{"PATH": "relative/dir:" + bin, "SHELL": "/bin/sh"}, "", &calls)
	spec := builtinCLI(t, "codex")
	f, err := d.Find(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != want || f.Source != "PATH" || f.Version != "1.2.3" || f.Name != "codex" {
		t.Fatalf("%+v", f)
	}
	if calls.Load() != 0 {
		t.Fatal("login shell asked although PATH had the CLI")
	}
}

func TestDiscoverLoginShellPATHIsCached(t *testing.T) {
	shellBin := t.TempDir()
	want := fakeExe(t, shellBin, "claude")
	var calls atomic.Int32
	d := fakeDiscoverer(t, map[string]string{"PATH": t.TempDir(), "SHELL": "/bin/zsh"}, "/usr/bin:"+shellBin, &calls)
	spec := builtinCLI(t, "claude")
	for i := 0; i < 2; i++ {
		f, err := d.Find(context.Background(), spec)
		if err != nil || f.Path != want || f.Source != "login-shell PATH" {
			t.Fatalf("%+v %v", f, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("login shell ran %d times", calls.Load())
	}
}

func TestDiscoverUsualPlaces(t *testing.T) {
	var calls atomic.Int32
	d := fakeDiscoverer(t, map[string]string{"PATH": t.TempDir()}, "", &calls)
	old := fakeExe(t, filepath.Join(d.Home, ".nvm", "versions", "node", "v18.0.0", "bin"), "gemini")
	newer := fakeExe(t, filepath.Join(d.Home, ".nvm", "versions", "node", "v20.1.0", "bin"), "gemini")
	spec := builtinCLI(t, "gemini")
	f, err := d.Find(context.Background(), spec)
	if err != nil || f.Path != newer || f.Source != "nvm" {
		t.Fatalf("%+v %v (old %s)", f, err, old)
	}
	local := fakeExe(t, filepath.Join(d.Home, ".local", "bin"), "gemini")
	d2 := &Discoverer{Getenv: d.Getenv, Home: d.Home, Run: d.Run}
	if f, err := d2.Find(context.Background(), spec); err != nil || f.Path != local {
		t.Fatalf("~/.local/bin before nvm: %+v %v", f, err)
	}
}

func TestDiscoverNotFoundSaysWhereAndHow(t *testing.T) {
	var calls atomic.Int32
	d := fakeDiscoverer(t, map[string]string{"PATH": t.TempDir()}, "", &calls)
	if err := os.MkdirAll(filepath.Join(d.Home, ".local", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	nonExec := filepath.Join(d.Home, ".local", "bin", "codex")
	os.WriteFile(nonExec, []byte("x"), 0o644) // not executable: must not count
	spec := builtinCLI(t, "codex")
	_, err := d.Find(context.Background(), spec)
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("want NotFoundError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`"codex"`, "PATH", "login-shell PATH (unavailable", filepath.Join(d.Home, ".local", "bin"), "npm install -g @openai/codex"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	// An absolute command that does not exist.
	_, err = d.Find(context.Background(), CLISpec{Name: "x", Command: "/nonexistent/x"})
	if !errors.As(err, &nf) || nf.Searched[0] != "/nonexistent/x" || nf.Install != "" {
		t.Fatalf("absolute: %v", err)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"2.1.197 (Claude Code)\n": "2.1.197",
		"codex-cli 0.171.0":       "0.171.0",
		"0.61.0\n":                "0.61.0",
		"v1.0.0-beta.2 build":     "1.0.0-beta.2",
		"no version here":         "",
	} {
		if got := ParseVersion(in); got != want {
			t.Errorf("ParseVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiscoverFindAll(t *testing.T) {
	bin := t.TempDir()
	fakeExe(t, bin, "claude")
	var calls atomic.Int32
	d := fakeDiscoverer(t, map[string]string{"PATH": bin, "SHELL": "/bin/sh"}, "", &calls)
	res := d.FindAll(context.Background())
	if len(res) != len(BuiltinNames()) || res[0].Err != nil || res[0].Found.Version != "1.2.3" {
		t.Fatalf("%+v", res)
	}
	for _, r := range res[1:] {
		if !errors.Is(r.Err, ErrNotFound) {
			t.Fatalf("%s: %v", r.Spec.Name, r.Err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("login shell ran %d times for %d lookups", calls.Load(), len(res))
	}
}
