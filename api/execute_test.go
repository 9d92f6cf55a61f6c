package api

import (
	"encoding/base64"
	"testing"
)

// TestExecuteKeepsInvalidUTF8Bytes: output that is not valid UTF-8 is
// flagged and given byte for byte in base64, next to its display text.
func TestExecuteKeepsInvalidUTF8Bytes(t *testing.T) {
	e := startE2EWith(t, t.TempDir(), `
[[capability]]
name = "bytes"
program = "sh"
args = ["-c", "printf 'ok \\377\\376\\n'; printf 'plain\\n' >&2"]
`)
	defer e.close()
	var res map[string]any
	e.call("Execute", map[string]any{"capability": "bytes", "args": []string{"-c", `printf 'ok \377\376\n'; printf 'plain\n' >&2`}}, &res)
	if res["code"] != float64(0) || res["stdout"] != "ok \uFFFD\uFFFD\n" || res["stderr"] != "plain\n" {
		t.Fatalf("%v", res)
	}
	b64, _ := res["stdoutBase64"].(string)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || string(raw) != "ok \xff\xfe\n" {
		t.Fatalf("stdoutBase64 %q decodes to %q (%v)", b64, raw, err)
	}
	if _, ok := res["stderrBase64"]; ok {
		t.Fatalf("valid stderr has stderrBase64: %v", res)
	}
}
