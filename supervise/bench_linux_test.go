//go:build linux

package supervise

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

func selfRSS() uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	i := bytes.Index(b, []byte("VmRSS:"))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+6:])
	kb, _ := strconv.ParseUint(string(f[0]), 10, 64)
	return kb << 10
}

func threads() int {
	b, _ := os.ReadFile("/proc/self/status")
	i := bytes.Index(b, []byte("Threads:"))
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(string(bytes.Fields(b[i+8:])[0]))
	return n
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startIdle starts n idle `sleep` children with the production settings:
// file ledger, subreaper, sampling every 2 s, events to a counting sink.
func startIdle(b *testing.B, n int) (*Supervisor, []*Process) {
	path, err := exec.LookPath("sleep")
	if err != nil {
		b.Skip("no sleep program")
	}
	l, err := NewFileLedger(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	l.NoSync = true
	if os.Getenv("BENCH_NO_LEDGER") != "" {
		l = nil
	}
	var led Ledger
	if l != nil {
		led = l
	}
	s, err := New(Config{Ledger: led, Subreaper: true, MonitorInterval: 2 * time.Second, Sink: func(event.Event) {}})
	if err != nil {
		b.Fatal(err)
	}
	ps := make([]*Process, 0, n)
	for i := 0; i < n; i++ {
		p, err := s.Start(Spec{Spec: proc.Spec{Program: path, Args: []string{"1000"}, Stdin: proc.StdinPipe}, Ready: Readiness{Mode: ReadyOnStart}})
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		for p.Info().State != StateRunning {
			time.Sleep(time.Millisecond)
		}
	}
	return s, ps
}

func stopAll(s *Supervisor) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.Shutdown(ctx)
}

// BenchmarkIdleChildrenRSS reports how much corral's own resident memory
// grows per idle supervised child (500 children).
func BenchmarkIdleChildrenRSS(b *testing.B) {
	const n = 500
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		before := selfRSS()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		th0 := threads()
		s, _ := startIdle(b, n)
		time.Sleep(3 * time.Second) // let a sample or two run
		runtime.GC()
		after := selfRSS()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(after-before)/n/1024, "KB-RSS/child")
		b.ReportMetric(float64(m1.HeapInuse-m0.HeapInuse)/n/1024, "KB-heap/child")
		b.ReportMetric(float64(m1.StackInuse-m0.StackInuse)/n/1024, "KB-stack/child")
		b.ReportMetric(float64(threads()-th0)/n, "threads/child")
		b.ReportMetric(float64(runtime.NumGoroutine())/n, "goroutines/child")
		stopAll(s)
		b.StartTimer()
	}
}

// BenchmarkIdleChildrenRSSProcOnly is the baseline of the figure above:
// the same 500 children started with package proc alone.
func BenchmarkIdleChildrenRSSProcOnly(b *testing.B) {
	const n = 500
	path, err := exec.LookPath("sleep")
	if err != nil {
		b.Skip("no sleep program")
	}
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		debug.FreeOSMemory()
		before := selfRSS()
		var ps []*proc.Process
		for i := 0; i < n; i++ {
			p, err := proc.Start(proc.Spec{Program: path, Args: []string{"1000"}, Stdin: proc.StdinPipe}, func(proc.Output) {})
			if err != nil {
				b.Fatal(err)
			}
			ps = append(ps, p)
		}
		time.Sleep(3 * time.Second)
		runtime.GC()
		after := selfRSS()
		b.ReportMetric(float64(after-before)/n/1024, "KB-RSS/child")
		for _, p := range ps {
			p.Kill()
		}
		for _, p := range ps {
			p.Wait()
		}
		b.StartTimer()
	}
}

// BenchmarkMonitorTick500 times one sample of 500 process trees (the
// whole /proc scan, the CPU deltas, the stats events), and reports it as a
// share of one core at the default 2 s interval.
func BenchmarkMonitorTick500(b *testing.B) {
	s, _ := startIdle(b, 500)
	defer stopAll(s)
	s.mon.tick()
	b.ResetTimer()
	t0 := cpuTime()
	for b.Loop() {
		s.mon.tick()
	}
	cpu := cpuTime() - t0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(DefaultMonitorInterval.Nanoseconds())*100, "%core@2s")
}

// BenchmarkIdleSupervisorCPU measures corral's whole CPU use over 10 s
// with 500 idle children and sampling every 2 s: what the user's machine
// pays for supervision when nothing happens.
func BenchmarkIdleSupervisorCPU(b *testing.B) {
	s, _ := startIdle(b, 500)
	defer stopAll(s)
	time.Sleep(time.Second)
	for b.Loop() {
		t0, w0 := cpuTime(), time.Now()
		time.Sleep(10 * time.Second)
		b.ReportMetric(float64((cpuTime()-t0).Nanoseconds())/float64(time.Since(w0).Nanoseconds())*100, "%core")
	}
}
