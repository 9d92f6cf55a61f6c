package agent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/internal/clitest"
)

// TestDiscoverContractRealCLIs finds the installed pinned CLIs on a PATH
// made of their npm prefixes and reads their real --version output.
func TestDiscoverContractRealCLIs(t *testing.T) {
	clis := []clitest.CLI{clitest.Claude, clitest.Codex, clitest.Gemini}
	var dirs []string
	for _, c := range clis {
		dirs = append(dirs, filepath.Dir(clitest.Require(t, c)))
	}
	path := strings.Join(append(dirs, filepath.SplitList(os.Getenv("PATH"))...), string(os.PathListSeparator))
	// The default bound on --version (10 s) is a hang guard for users; node
	// CLIs on a loaded machine can take longer to start (Gemini CLI took
	// over 10 s at load 10), so the test bounds it only against a hang.
	d := &agent.Discoverer{VersionTimeout: 2 * time.Minute, Getenv: func(k string) string {
		if k == "PATH" {
			return path
		}
		return os.Getenv(k)
	}}
	for _, c := range clis {
		e, _ := agent.Lookup(c.Name)
		spec := e.CLI
		if spec.Tested != c.Version {
			t.Errorf("%s: adapter tested with %s, clitest pins %s", c.Name, spec.Tested, c.Version)
		}
		f, err := d.Find(deadline(t), spec)
		if err != nil {
			t.Fatal(err)
		}
		if f.Version != c.Version || f.Source != "PATH" {
			t.Errorf("%s: %+v", c.Name, f)
		}
	}
}
