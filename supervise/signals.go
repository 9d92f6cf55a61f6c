package supervise

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"time"
)

// HandleSignals installs corral's handling of termination signals (for
// example os.Interrupt and syscall.SIGTERM). At the first signal the
// returned context is cancelled and Shutdown runs with a deadline of
// timeout (every tree gets its grace, then SIGKILL); a second signal kills
// everything at once. stop removes the handler and waits for a shutdown in
// progress to finish.
func (s *Supervisor) HandleSignals(parent context.Context, timeout time.Duration, sigs ...os.Signal) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-quit:
			return
		case <-ch:
		}
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), timeout)
		defer scancel()
		done := make(chan struct{})
		go func() {
			s.Shutdown(sctx)
			close(done)
		}()
		select {
		case <-done:
		case <-ch:
			s.KillAll()
			<-done
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(quit)
			wg.Wait()
			cancel()
		})
	}
}
