package workspace

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmark fixture (a 10,000-file repository) is built once per test
// binary and removed by TestMain.
var (
	benchBase string
	benchOnce sync.Once
	benchEnv  *env
	benchRepo string
)

const benchFiles = 10000

func fixture(b *testing.B) (*env, string) {
	b.Helper()
	benchOnce.Do(func() {
		base, err := os.MkdirTemp("", "workspace-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchBase = base
		benchEnv = newEnvAt(b, base)
		files := make(map[string]string, benchFiles)
		for i := 0; i < benchFiles; i++ {
			files[fmt.Sprintf("pkg%03d/file%04d.go", i/100, i)] = fmt.Sprintf("package pkg\n\n// File %d.\nfunc F%d() int {\n\treturn %d\n}\n", i, i, i) + numbered(20)
		}
		benchRepo = benchEnv.repo(files)
	})
	if benchEnv == nil {
		b.Fatal("fixture failed")
	}
	e := *benchEnv
	e.t = b
	return &e, benchRepo
}

// settle waits out git's racy-timestamp window and refreshes the worktree's
// index stat data, as the first "git status" of an agent or person would.
func settle(e *env, dir string) {
	time.Sleep(1100 * time.Millisecond)
	e.git(dir, "status", "--porcelain")
}

// BenchmarkCheckpoint: one checkpoint of a 10,000-file worktree in which 100
// files changed (50 modified, 50 new untracked).
func BenchmarkCheckpoint(b *testing.B) {
	e, repo := fixture(b)
	ctx := context.Background()
	ws := e.create(repo, "bench-cp")
	defer e.m.Remove(ctx, ws, RemoveOptions{Force: true, DeleteBranch: true, DeleteCheckpoints: true})
	settle(e, ws.Path)
	changed := map[string]string{}
	for i := 0; i < 50; i++ {
		changed[fmt.Sprintf("pkg%03d/file%04d.go", i*2, i*200)] = "package pkg\n\n// changed\n"
		changed[fmt.Sprintf("pkg%03d/new%02d.go", i, i)] = "package pkg\n\n// new file\n"
	}
	e.write(ws.Path, changed)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cp, err := e.m.Checkpoint(ctx, ws, CheckpointOptions{Turn: i})
		if err != nil {
			b.Fatal(err)
		}
		if cp.Files != 100 && i == 0 {
			b.Fatalf("checkpoint saw %d files", cp.Files)
		}
	}
}

// BenchmarkChanges: Changes of a worktree with 500 changed files (a few
// lines each), with the peak Go heap during the call.
func BenchmarkChanges(b *testing.B) {
	e, repo := fixture(b)
	ctx := context.Background()
	ws := e.create(repo, "bench-changes")
	defer e.m.Remove(ctx, ws, RemoveOptions{Force: true, DeleteBranch: true})
	settle(e, ws.Path)
	changed := map[string]string{}
	for i := 0; i < 500; i++ {
		body := fmt.Sprintf("package pkg\n\n// File %d, edited.\nfunc F%d() int {\n\treturn %d\n}\n", i*20, i*20, i*20) + replaceLine(numbered(20), 10, "changed\n")
		changed[fmt.Sprintf("pkg%03d/file%04d.go", i*20/100, i*20)] = body
	}
	e.write(ws.Path, changed)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch, err := e.m.Changes(ctx, ws, ChangesOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(ch.Files) != 500 || len(ch.Files[499].Hunks) != 2 {
			b.Fatalf("%d files", len(ch.Files))
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	if p := peak.Load(); p > base.HeapAlloc {
		b.ReportMetric(float64(p-base.HeapAlloc)/(1<<20), "peak-heap-MiB")
	}
}

// BenchmarkCreate and BenchmarkPlainWorktreeAdd compare Create with the
// bare "git worktree add" it wraps, on the 10,000-file repository.
func BenchmarkCreate(b *testing.B) {
	e, repo := fixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ws, err := e.m.Create(ctx, CreateOptions{Repo: repo, ID: fmt.Sprintf("bench%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := e.m.Remove(ctx, ws, RemoveOptions{DeleteBranch: true}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func BenchmarkPlainWorktreeAdd(b *testing.B) {
	e, repo := fixture(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		path := filepath.Join(e.root, fmt.Sprintf("plain%d", i))
		cmd := exec.Command("git", "worktree", "add", "--quiet", "-b", "plain/"+fmt.Sprint(i), path, "HEAD")
		cmd.Dir = repo
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + e.home, "LC_ALL=C"}
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		b.StopTimer()
		e.git(repo, "worktree", "remove", "--force", path)
		e.git(repo, "branch", "-D", "plain/"+fmt.Sprint(i))
		b.StartTimer()
	}
}

// BenchmarkChangesHugeFile: a 64 MiB text file written by the agent costs
// Changes no more memory than a small one (it is over MaxFileBytes, so its
// patch is never read).
func BenchmarkChangesHugeFile(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	ws := e.create(e.repo(nil), "huge")
	line := strings.Repeat("x", 127) + "\n"
	e.write(ws.Path, map[string]string{"huge.txt": strings.Repeat(line, 64<<20/len(line))})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch, err := e.m.Changes(ctx, ws, ChangesOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if f := ch.Files[0]; !f.TooLarge || f.Additions != 64<<20/len(line) {
			b.Fatalf("%+v", f)
		}
	}
}
