package policy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWindowsBatchRefused(t *testing.T) {
	dir := t.TempDir()
	bat := filepath.Join(dir, "tool.bat")
	if err := os.WriteFile(bat, []byte("@echo off\r\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &resolver{path: dir}
	for _, prog := range []string{bat, "tool.bat", "tool.CMD"} {
		if _, d := r.resolve("c", prog); d == nil || d.Rule != RuleProgramBatch {
			t.Errorf("%s: %v, want %s", prog, d, RuleProgramBatch)
		}
	}
	// A bare name never resolves to the batch file.
	if _, d := r.resolve("c", "tool"); d == nil || d.Rule != RuleProgramNotFound {
		t.Errorf("bare name: %v, want %s", d, RuleProgramNotFound)
	}
	if got := candidates(`C:\bin\git`); len(got) != 2 || got[0] != `C:\bin\git.exe` || got[1] != `C:\bin\git.com` {
		t.Errorf("candidates = %q", got)
	}
}
