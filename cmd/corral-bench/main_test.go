package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/fakeagent"
)

// benchMainEnv makes the test binary run main, so that the tests drive
// corral-bench's real entry point (its role check included).
const benchMainEnv = "CORRAL_BENCH_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(benchMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// corral-bench started with CORRAL_FAKEAGENT (as the configuration it
// gives corral serve starts it) is the fake agent: it answers a user
// message on stdin with the agent protocol, whatever its arguments.
func TestMainIsTheFakeAgentWhenAsked(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // hang protection only
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "api", "-p", "--output-format", "stream-json")
	cmd.Env = append(os.Environ(), benchMainEnv+"=1", fakeagent.EnvVar+"=1")
	cmd.Stdin = strings.NewReader(`{"type":"user","message":{"role":"user","content":[{"type":"text","text":"hello"}]}}` + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var result bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"type":"result"`) && strings.Contains(sc.Text(), fakeagent.SessionID) {
			result = true
		}
	}
	if !result {
		t.Fatalf("no result line of the fake agent in:\n%s", out)
	}
}

// Without the variable, the same binary is corral-bench: no benchmark
// name lists the benchmarks and fails, an unknown one fails, --help
// succeeds.
func TestMainCommandLine(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		out  string // in stdout+stderr
	}{
		{nil, 2, "usage: corral-bench NAME"},
		{[]string{"--help"}, 0, "run-json"},
		{[]string{"nosuch"}, 2, `unknown benchmark "nosuch"`},
		{[]string{"api", "--help"}, 0, "-corral executable"},
		{[]string{"api", "--corral", filepath.Join(t.TempDir(), "corral")}, 1, "no corral executable at"},
	} {
		cmd := exec.Command(exe, c.args...)
		cmd.Env = append(os.Environ(), benchMainEnv+"=1")
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(string(out), c.out) {
			t.Errorf("corral-bench %q: exit %d, output:\n%s\nwant exit %d and %q", c.args, code, out, c.code, c.out)
		}
	}
}

func TestDefaultCorral(t *testing.T) {
	if got, want := defaultCorral("/opt/b/corral-bench", "linux"), filepath.Join("/opt/b", "corral"); got != want {
		t.Errorf("linux: %s, want %s", got, want)
	}
	if got, want := defaultCorral(filepath.Join("C:", "b", "corral-bench.exe"), "windows"), filepath.Join("C:", "b", "corral.exe"); got != want {
		t.Errorf("windows: %s, want %s", got, want)
	}
}

func TestFindCorral(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "corral")
	if _, err := findCorral(exe); !errors.Is(err, ErrNoCorral) {
		t.Fatalf("a missing file: %v", err)
	}
	if _, err := findCorral(dir); !errors.Is(err, ErrNoCorral) {
		t.Fatalf("a directory: %v", err)
	}
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if got, err := findCorral("corral"); err != nil || got != exe {
		t.Fatalf("a relative path: %q, %v; want %q", got, err, exe)
	}
}

func TestQuantilesOf(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	q := quantilesOf(ds)
	if q.P50 != 51 || q.P90 != 91 || q.P99 != 100 || q.Max != 100 || q.N != 100 {
		t.Fatalf("%+v", q)
	}
	if (quantilesOf(nil) != quantiles{}) {
		t.Fatal("no samples: not zero")
	}
}
