package policy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestHelperProcess is the child of TestResolvedRuns: it prints its
// working directory, arguments and environment.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("CORRAL_POLICY_HELPER") != "1" {
		return
	}
	wd, _ := os.Getwd()
	env := os.Environ()
	sort.Strings(env)
	fmt.Printf("dir=%s\nargs=%q\nenv=%q\n", wd, os.Args[1:], env)
	os.Exit(0)
}

// TestResolvedRuns starts a real child from a Resolved value, the way the
// supervisor does, and checks that the child sees exactly the checked
// argv, directory and environment: nothing of the parent's environment
// (secrets, LD_PRELOAD) leaks in.
func TestResolvedRuns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os/exec adds SYSTEMROOT to every Windows environment")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("cannot find the test binary to re-execute: %v", err)
	}
	f := newFixture(t)
	t.Setenv("SECRET_TOKEN", "hunter2")
	t.Setenv("LANG", "C.UTF-8")
	cfg := f.config(t, `
[[capability]]
name = "helper"
program = `+strconv.Quote(exe)+`
args = ["-test.run=^TestHelperProcess$", { validator = "[a-z]+" }]
env = { CORRAL_POLICY_HELPER = "1" }
pass_env = ["LANG"]
cwd = ["{{root}}"]
`)
	p, err := New(cfg, Options{}) // corral's real environment
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Check(Request{Capability: "helper", Args: []string{"-test.run=^TestHelperProcess$", "word"}, Cwd: filepath.Join(f.root, "sub")})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(r.Program, r.Args...)
	cmd.Dir, cmd.Env = r.Dir, r.Env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"dir=" + filepath.Join(f.root, "sub") + "\n",
		`args=["-test.run=^TestHelperProcess$" "word"]`,
		`env=["CORRAL_POLICY_HELPER=1" "LANG=C.UTF-8"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("child output lacks %q:\n%s", want, got)
		}
	}
}
