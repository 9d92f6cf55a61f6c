package policy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

// benchConfig is a 20-capability config: 19 fillers with validators, env
// and roots, and the git-log capability every benchmark checks.
func benchConfig() string {
	var b strings.Builder
	for i := 0; i < 19; i++ {
		fmt.Fprintf(&b, `
[[capability]]
name = "filler-%d"
program = "{{prog}}"
args = ["run", { validator = "--job=[a-z0-9-]{1,32}" }, { validator = "[A-Za-z0-9._/-]+", rest = true }]
flags = ["--verbose", "--quiet"]
env = { MODE = "batch" }
pass_env = ["LANG"]
cwd = ["{{root}}"]
timeout = "5m"
`, i)
	}
	b.WriteString(mainConfig[strings.Index(mainConfig, "[[capability]]"):strings.Index(mainConfig, "[[capability]]\nname = \"words\"")])
	return b.String()
}

func benchPolicy(b *testing.B, sink func(event.Event)) (*Policy, *fixture) {
	f := newFixture(b)
	env := f.environ()
	p, err := New(f.config(b, benchConfig()), Options{Sink: sink, Environ: func() []string { return env }, ExecutableDir: f.bin})
	if err != nil {
		b.Fatal(err)
	}
	if n := len(p.ListCapabilities()) - len(testBuiltinAgents); n != 20 {
		b.Fatalf("%d capabilities, want 20", n)
	}
	return p, f
}

func discard(event.Event) {}

func BenchmarkCheck(b *testing.B) {
	cases := []struct {
		name  string
		sink  func(event.Event)
		req   func(f *fixture) Request
		allow bool
	}{
		{"allow/audit/cwd", discard, func(f *fixture) Request {
			return Request{Capability: "git-log", Args: []string{"log", "--oneline", "--max-count=20", "main"}, Cwd: filepath.Join(f.root, "sub"), Env: map[string]string{"TERM": "dumb"}}
		}, true},
		{"allow/audit/defaultcwd", discard, func(f *fixture) Request {
			return Request{Capability: "git-log", Args: []string{"log", "--oneline", "--max-count=20", "main"}}
		}, true},
		{"allow/nosink/cwd", nil, func(f *fixture) Request {
			return Request{Capability: "git-log", Args: []string{"log", "--oneline", "--max-count=20", "main"}, Cwd: filepath.Join(f.root, "sub"), Env: map[string]string{"TERM": "dumb"}}
		}, true},
		{"deny/pattern/audit", discard, func(f *fixture) Request {
			return Request{Capability: "git-log", Args: []string{"log", "--max-count=20; rm -rf /"}}
		}, false},
		{"deny/env-injection/audit", discard, func(f *fixture) Request {
			return Request{Capability: "git-log", Args: []string{"log", "--max-count=20"}, Env: map[string]string{"LD_PRELOAD": "/x.so"}}
		}, false},
		{"deny/unknown/audit", discard, func(f *fixture) Request { return Request{Capability: "rm", Args: []string{"-rf", "/"}} }, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p, f := benchPolicy(b, c.sink)
			req := c.req(f)
			if _, err := p.Check(req); (err == nil) != c.allow {
				b.Fatalf("unexpected verdict: %v", err)
			}
			b.ReportAllocs()
			cpu0, ok := processCPU()
			for b.Loop() {
				_, _ = p.Check(req)
			}
			if cpu1, ok1 := processCPU(); ok && ok1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

func BenchmarkCheckParallel(b *testing.B) {
	p, f := benchPolicy(b, discard)
	req := Request{Capability: "git-log", Args: []string{"log", "--oneline", "--max-count=20", "main"}, Cwd: filepath.Join(f.root, "sub")}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Check(req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkNew measures compiling the 20-capability config (regexes,
// PATH and roots resolved once).
func BenchmarkNew(b *testing.B) {
	f := newFixture(b)
	cfg := f.config(b, benchConfig())
	env := f.environ()
	opts := Options{Environ: func() []string { return env }, ExecutableDir: f.bin}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(cfg, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineSpawn is the cost Check adds to: starting and reaping
// the smallest possible child (/bin/true).
func BenchmarkBaselineSpawn(b *testing.B) {
	if runtime.GOOS == "windows" {
		b.Skip("no /bin/true")
	}
	prog, err := exec.LookPath("true")
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if err := exec.Command(prog).Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineLstat is one os.Lstat: the floor under a Check with a
// cwd, which needs one per path component below the root, plus the root.
func BenchmarkBaselineLstat(b *testing.B) {
	f := newFixture(b)
	cpu0, ok := processCPU()
	for b.Loop() {
		if _, err := os.Lstat(f.root); err != nil {
			b.Fatal(err)
		}
	}
	if cpu1, ok1 := processCPU(); ok && ok1 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
