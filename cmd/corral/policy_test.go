package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyCheckExplainsWithoutRunning(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cfg := writeConfig(t, `
[[capability]]
name = "touch-one"
program = "/usr/bin/touch"
args = [{ validator = "[A-Za-z0-9/_.-]+" }]
`)
	cases := []struct {
		args     []string
		code     int
		firstOut string
	}{
		{[]string{"policy", "check", "--config", cfg, "--capability", "touch-one", "--", marker}, 0, "allowed"},
		{[]string{"policy", "check", "--config", cfg, "--capability", "touch-one", "--", marker, "extra"}, 1, "denied arg.extra"},
		{[]string{"policy", "check", "--config", cfg, "--capability", "touch-one", "--", "--foo; rm -rf ~"}, 1, "denied arg.pattern"},
		{[]string{"policy", "check", "--config", cfg, "--capability", "nope", "--", "x"}, 1, "denied capability.unknown"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		code := runMain(t.Context(), tc.args, &out, &errb)
		first, _, _ := strings.Cut(out.String(), "\n")
		if code != tc.code || first != tc.firstOut {
			t.Errorf("%q: code %d, first line %q (stderr %q), want %d %q", tc.args[len(tc.args)-1], code, first, errb.String(), tc.code, tc.firstOut)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("policy check ran the command")
	}
}

func TestPolicyCheckUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runMain(t.Context(), []string{"policy"}, &out, &errb); code != 2 {
		t.Fatalf("code %d", code)
	}
	if code := runMain(t.Context(), []string{"policy", "check", "--", "x"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--capability is required") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

func TestRunCapabilityGoesThroughPolicy(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, `
[[capability]]
name = "say"
program = "/bin/echo"
args = ["said", { validator = "[a-z]+" }]
env = { FIXED = "1" }
`)
	cmd := corral(t, "run", "--config", cfg, "--data", dir, "--capability", "say", "--", "said", "hello")
	out, err := cmd.Output()
	if err != nil || string(out) != "said hello\n" {
		t.Fatalf("out %q err %v", out, err)
	}
	cmd = corral(t, "run", "--config", cfg, "--data", dir, "--capability", "say", "--", "said", "hello; rm -rf ~")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	code := exitCode(t, cmd.Run())
	if code != 126 || !strings.Contains(errb.String(), "arg") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
	cmd = corral(t, "run", "--config", cfg, "--data", dir, "--capability", "say", "--", "said", "hello", "extra")
	if code := exitCode(t, cmd.Run()); code != 126 {
		t.Fatalf("extra argument: code %d", code)
	}
}
