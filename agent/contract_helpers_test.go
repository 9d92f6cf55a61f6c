package agent_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// Deadlines of the contract tests. They protect against hangs; they are
// not speed assertions.
const (
	testDeadline = 3 * time.Minute
	turnIdle     = 90 * time.Second
)

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancel)
	return ctx
}

func mock(t *testing.T, sc mockllm.Scenario) *mockllm.Server {
	t.Helper()
	s, err := mockllm.Start(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// startProc starts an adapter's process and stops it when the test ends.
func startProc(t *testing.T, ad agent.Adapter, opts agent.SessionOptions, turn *agent.Turn) *agenttest.Proc {
	t.Helper()
	p, err := agenttest.Start(ad, opts, turn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", ad.Name(), tailString(p.StderrText(), 4000))
		}
	})
	return p
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// record saves the raw stdout of a contract run as a decoder fixture when
// CORRAL_RECORD_FIXTURES=1: agent/testdata/<cli>-<version>/<name>.jsonl.
func record(t *testing.T, cli clitest.CLI, name string, lines [][]byte) {
	t.Helper()
	if os.Getenv("CORRAL_RECORD_FIXTURES") != "1" {
		return
	}
	dir := filepath.Join("testdata", cli.Name+"-"+cli.Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func osMkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }
