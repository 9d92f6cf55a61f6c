package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func avgSize(evs []event.Event) int {
	n := 0
	for _, e := range evs {
		n += len(e.Raw) + len(e.Data)
	}
	return n / len(evs)
}

// benchAppend measures appends through the whole pipeline (queue, writer,
// batched durable commits, publication), counting until the last commit.
// It also reports the time from an Append call (of 1,024 events) returning
// to the publication of its last event, the commit latency a subscriber
// sees: median, 99th percentile and maximum, and the largest size of the
// -wal file seen (sampled every millisecond).
func benchAppend(b *testing.B, opts store.Options) { benchAppendReading(b, opts, 0) }

// benchAppendReading is benchAppend with readers goroutines reading pages of
// the flooded session all along, each read on its own snapshot, as the API
// reads while a session streams (newest page, replay by cursor).
func benchAppendReading(b *testing.B, opts store.Options, readers int) {
	evs := genEvents("bench", 1024)
	chunks := (b.N + len(evs) - 1) / len(evs)
	appended := make([]atomic.Int64, chunks) // UnixNano when chunk i was queued
	var published int
	var lats []time.Duration
	publish := func(batch []event.Event) {
		for i := range batch {
			if batch[i].Kind != event.Trimmed { // retention's markers are extra
				published++
			}
		}
		now := time.Now().UnixNano()
		// Every chunk whose last event is in this batch.
		first := (batch[0].Cursor - 1) / int64(len(evs))
		last := (batch[len(batch)-1].Cursor - 1) / int64(len(evs))
		for c := first; c <= last; c++ {
			end := min((c+1)*int64(len(evs)), int64(b.N))
			if end > batch[len(batch)-1].Cursor || end < batch[0].Cursor {
				continue
			}
			if at := appended[c].Load(); at != 0 {
				lats = append(lats, time.Duration(now-at))
			}
		}
	}
	opts.Publish = publish
	s, err := store.Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(avgSize(evs)))
	b.ReportAllocs()
	var peakWAL atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1 + readers)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if fi, err := os.Stat(s.Path() + "-wal"); err == nil && fi.Size() > peakWAL.Load() {
				peakWAL.Store(fi.Size())
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	for r := 0; r < readers; r++ {
		go func() {
			defer wg.Done()
			for i := int64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if (i+int64(r))%2 == 0 {
					_, err = s.EventsBefore("bench", 0, 500)
				} else {
					_, err = s.EventsAfter(context.Background(), (i*997)%max(1, int64(b.N)), "bench", false, 500)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i += len(evs) {
		n := min(len(evs), b.N-i)
		if err := s.Append(evs[:n]...); err != nil {
			b.Fatal(err)
		}
		appended[i/len(evs)].Store(time.Now().UnixNano())
	}
	if err := s.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peakWAL.Load())/(1<<20), "peak-wal-MiB")
	if published != b.N {
		b.Fatalf("published %d of %d", published, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	if len(lats) > 0 {
		slices.Sort(lats)
		ms := func(q float64) float64 {
			return float64(lats[min(len(lats)-1, int(q*float64(len(lats))))]) / float64(time.Millisecond)
		}
		b.ReportMetric(ms(0.5), "p50-commit-ms")
		b.ReportMetric(ms(0.99), "p99-commit-ms")
		b.ReportMetric(ms(1), "max-commit-ms")
	}
}

// BenchmarkAppend: synchronous=NORMAL (durable against process crash).
func BenchmarkAppend(b *testing.B) { benchAppend(b, store.Options{Synchronous: "NORMAL"}) }

// BenchmarkAppendFull: synchronous=FULL (durable against power loss).
func BenchmarkAppendFull(b *testing.B) { benchAppend(b, store.Options{Synchronous: "FULL"}) }

// BenchmarkAppendWhileReading is BenchmarkAppend with two readers paging
// through the flooded session all along, and the session capped at 64 MiB:
// the readers keep SQLite from starting the WAL over by itself, which is
// what the WAL bound (Options.MaxWALBytes) is about. Compare peak-wal-MiB
// and events/s with BenchmarkAppend.
func BenchmarkAppendWhileReading(b *testing.B) {
	benchAppendReading(b, store.Options{MaxBytesPerSession: 64 << 20}, 2)
}

// BenchmarkAppendQueue is BenchmarkAppend with other queue and batch
// bounds, to show what they trade: a shorter queue bounds commit latency
// in a flood, at some cost in throughput once batches get small.
func BenchmarkAppendQueue(b *testing.B) {
	for _, c := range []struct{ queue, batch int }{{1024, 512}, {2048, 1024}, {3072, 1536}, {4096, 2048}, {8192, 4096}} {
		b.Run(fmt.Sprintf("queue=%d,batch=%d", c.queue, c.batch), func(b *testing.B) {
			benchAppend(b, store.Options{QueueLimit: c.queue, MaxBatch: c.batch})
		})
	}
}

// The big database used by the read benchmarks: session "big" with
// 1,000,000 events and session "small" with 100,000, built once.
var (
	benchDir  string
	benchOnce sync.Once
	benchErr  error
	benchSize int64
)

const bigEvents = 1_000_000

func bigDB(b *testing.B) string {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "corral-store-bench-")
		if benchErr != nil {
			return
		}
		s, err := store.Open(benchDir, store.Options{})
		if err != nil {
			benchErr = err
			return
		}
		ctx := context.Background()
		s.CreateSession(ctx, store.Session{ID: "big"})
		s.CreateSession(ctx, store.Session{ID: "small"})
		evs := genEvents("big", 1000)
		for i := 0; i < bigEvents; i += len(evs) {
			s.Append(evs...)
		}
		if benchErr = s.Sync(ctx); benchErr != nil {
			return
		}
		s.Close()
		fi, err := os.Stat(filepath.Join(benchDir, store.FileName))
		if err != nil {
			benchErr = err
			return
		}
		benchSize = fi.Size()
		s, _ = store.Open(benchDir, store.Options{})
		small := genEvents("small", 1000)
		for i := 0; i < bigEvents/10; i += len(small) {
			s.Append(small...)
		}
		benchErr = s.Close()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

// BenchmarkReplayFirstPage reads the first page (500 events) of a
// 1,000,000-event session, as a client opening the session does.
func BenchmarkReplayFirstPage(b *testing.B) {
	s, err := store.Open(bigDB(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, err := s.Events("big", 0, 500)
		if err != nil || len(evs) != 500 {
			b.Fatal(err, len(evs))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(benchSize)/(1<<20), "MiB-db/1M-events")
}

// BenchmarkTailPage reads the newest page (500 events) of a
// 1,000,000-event session backwards, as a client opening the session at its
// end does (GetEvents {tail}); compare BenchmarkReplayFirstPage.
func BenchmarkTailPage(b *testing.B) {
	s, err := store.Open(bigDB(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, err := s.EventsBefore("big", 0, 500)
		if err != nil || len(evs) != 500 || evs[499].Seq != int64(bigEvents) {
			b.Fatal(err, len(evs))
		}
	}
}

// BenchmarkReplayByCursor is the bus's replay read: 500 events of one
// session after a cursor in the middle of a 1,000,000-event session.
func BenchmarkReplayByCursor(b *testing.B) {
	s, err := store.Open(bigDB(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, err := s.EventsAfter(context.Background(), 500_000, "big", false, 500)
		if err != nil || len(evs) != 500 || evs[0].Cursor != 500_001 {
			b.Fatal(err, len(evs))
		}
	}
}

// BenchmarkListSessions: the API polls this often; 100 sessions.
func BenchmarkListSessions(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 100; i++ {
		s.CreateSession(context.Background(), store.Session{ID: fmt.Sprintf("s%03d", i), Agent: "claude", Cwd: "/home/u/src/p"})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := s.ListSessions(0)
		if err != nil || len(l) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkListSessionsWhileAppending: the same while events stream into
// one of the sessions, so the cached list keeps being invalidated.
func BenchmarkListSessionsWhileAppending(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 100; i++ {
		s.CreateSession(context.Background(), store.Session{ID: fmt.Sprintf("s%03d", i), Agent: "claude", Cwd: "/home/u/src/p"})
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		evs := genEvents("s000", 20)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond): // a fast-talking agent: 4,000 events/s
			}
			s.Append(evs...)
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := s.ListSessions(0)
		if err != nil || len(l) != 100 {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
}

// helperExportRSS exports one session to io.Discard (or only opens the
// store for session "-") and prints the process's peak RSS in KiB.
func helperExportRSS(dir, sessionID string) error {
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		return err
	}
	if sessionID != "-" {
		if err := s.Export(context.Background(), sessionID, io.Discard); err != nil {
			return err
		}
	}
	s.Close()
	fmt.Println(peakRSSKiB())
	return nil
}

func peakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

// BenchmarkExportRSS exports sessions of 100,000 and 1,000,000 events in
// fresh processes and reports each one's peak RSS: streaming keeps it
// independent of the session's size.
func BenchmarkExportRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("peak RSS is read from /proc")
	}
	dir := bigDB(b)
	rss := func(session string) float64 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=export-rss", helperDir+"="+dir, helperArg+"="+session)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatal(err)
		}
		return n / 1024
	}
	var open, small, big float64
	for i := 0; i < b.N; i++ {
		open, small, big = rss("-"), rss("small"), rss("big")
	}
	b.ReportMetric(open, "MiB-open-only")
	b.ReportMetric(small, "MiB-export-100k")
	b.ReportMetric(big, "MiB-export-1M")
}

// BenchmarkNodeJSONLBaseline runs bench/node/jsonl-baseline.mjs (a Node
// JsonLineParser reading `cat FILE`: split + JSON.parse only, no storage)
// on the same stream-json lines BenchmarkAppend stores, so the two rates
// can be compared. Skipped when node or the script is missing.
func BenchmarkNodeJSONLBaseline(b *testing.B) {
	script, err := filepath.Abs("../bench/node/jsonl-baseline.mjs")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(script); err != nil {
		b.Skip("no Node baseline script:", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node not installed")
	}
	const lines = 500_000
	file := filepath.Join(b.TempDir(), "stream.jsonl")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	evs := genEvents("node", 1000)
	for i := 0; i < lines; i++ {
		w.Write(evs[i%len(evs)].Raw)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var rate float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := exec.Command(node, script, file).Output()
		if err != nil {
			b.Fatal(err)
		}
		var r struct {
			Lines       int
			LinesPerSec float64
		}
		if err := json.Unmarshal(out, &r); err != nil || r.Lines != lines {
			b.Fatalf("node output %q: %v", out, err)
		}
		rate = r.LinesPerSec
	}
	b.ReportMetric(rate, "lines/s")
}

// BenchmarkAppendWaitIdle: one event at a time, each waiting for its
// commit — the latency of a lone event on an idle store.
func BenchmarkAppendWaitIdle(b *testing.B) {
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ev := genEvents("idle", 1)[0]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.AppendWait(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
	}
}
