package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// `yes` would print forever: a capability's max_output stops it, corral
// copies exactly the allowed bytes and says on stderr why the output ended.
func TestRunCapabilityStopsAtMaxOutput(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, `
[[capability]]
name = "yes"
program = "yes"
args = []
max_output = 1000

[[capability]]
name = "yes-stream"
program = "yes"
args = []
max_output = 1000
max_stream_output = 100
`)
	// --timeout only turns a missing cap into a failure instead of a hang.
	cmd := corral(t, "run", "--config", cfg, "--data", dir, "--timeout", "60s", "--capability", "yes", "--")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := exitCode(t, cmd.Run())
	// yes ends by the SIGTERM of the graceful stop: 128+15.
	if code != 143 {
		t.Fatalf("code %d, want 143; stderr %q", code, errb.String())
	}
	if out.String() != strings.Repeat("y\n", 500) {
		t.Fatalf("stdout has %d bytes, want exactly the 1000 allowed", out.Len())
	}
	want := `corral: output limit reached: capability "yes" allows 1000B of output (max_output, stdout and stderr together); the command was stopped and the rest of its output discarded` + "\n"
	if errb.String() != want {
		t.Fatalf("stderr %q, want %q", errb.String(), want)
	}

	cmd = corral(t, "run", "--config", cfg, "--data", dir, "--timeout", "60s", "--json", "--capability", "yes-stream", "--")
	errb.Reset()
	cmd.Stderr = &errb
	b, err := cmd.Output()
	if code := exitCode(t, err); code != 143 {
		t.Fatalf("--json: code %d, stderr %q", code, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	// "y" and its newline count 2 bytes: 50 lines, then the exit line.
	if len(lines) != 51 {
		t.Fatalf("--json: %d lines, want 50 output lines and the exit line:\n%s", len(lines), b)
	}
	var exit jsonExit
	if err := json.Unmarshal([]byte(lines[50]), &exit); err != nil {
		t.Fatal(err)
	}
	if exit.Stream != "exit" || exit.Reason != "output-limit" || exit.Limit != "max_stream_output:stdout" || exit.Code != 143 || !exit.Stopped {
		t.Fatalf("exit line %s", lines[50])
	}
	if !strings.Contains(errb.String(), `output limit reached: capability "yes-stream" allows 100B on stdout (max_stream_output)`) {
		t.Fatalf("--json: stderr %q", errb.String())
	}
}
