package supervise

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// lookTrue finds the `true` program the way both sides of the comparison
// run it: by absolute path, so neither pays for a PATH search.
func lookTrue(b *testing.B) string {
	path, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true program")
	}
	return path
}

// BenchmarkSpawnTrue compares, in one run, a bare os/exec start and wait of
// `true` with the same program started through the supervisor and waited
// for (Start → run.exited queued), and reports the supervisor's
// spawn-to-running latency (Start → running state) as a metric.
func BenchmarkSpawnTrue(b *testing.B) {
	path := lookTrue(b)
	b.Run("exec", func(b *testing.B) {
		c0 := ownCPU()
		for b.Loop() {
			cmd := exec.Command(path)
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0)
	})
	bench := func(b *testing.B, cfg Config) {
		running := make(chan time.Time, 1)
		cfg.MonitorInterval = -1
		cfg.Sink = func(ev event.Event) {
			if ev.Kind == event.ProcessState && bytes.HasSuffix(ev.Data, []byte(`"state":"running"}`)) {
				running <- time.Now()
			}
		}
		s, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Shutdown(b.Context())
		spec := Spec{Spec: proc.Spec{Program: path}, Ready: Readiness{Mode: ReadyOnStart}}
		var toRunning time.Duration
		c0 := ownCPU()
		for b.Loop() {
			t0 := time.Now()
			p, err := s.Start(spec)
			if err != nil {
				b.Fatal(err)
			}
			if r := p.Wait(); r.Code != 0 {
				b.Fatal(r)
			}
			toRunning += (<-running).Sub(t0)
		}
		reportCPU(b, c0)
		b.ReportMetric(float64(toRunning.Microseconds())/float64(b.N), "µs-to-running/op")
	}
	b.Run("supervise", func(b *testing.B) { bench(b, Config{}) })
	b.Run("supervise+ledger", func(b *testing.B) {
		l, err := NewFileLedger(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		l.NoSync = true
		bench(b, Config{Ledger: l})
	})
	b.Run("supervise+ledger-fsync", func(b *testing.B) {
		l, err := NewFileLedger(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		bench(b, Config{Ledger: l})
	})
	if exe, err := os.Executable(); err == nil {
		b.Run("supervise+ledger+watchdog+subreaper", func(b *testing.B) {
			l, err := NewFileLedger(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			l.NoSync = true
			bench(b, Config{Ledger: l, Subreaper: true, Watchdog: []string{exe}, WatchdogEnv: []string{helperEnv + "=watchdog"}})
		})
	}
}

// reportCPU reports this process's own CPU time (user + system, children
// excluded) per operation since c0: what corral pays, without the time spent
// waiting for a core on a loaded machine.
func reportCPU(b *testing.B, c0 time.Duration) {
	if c0 >= 0 {
		b.ReportMetric(float64((ownCPU()-c0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}
