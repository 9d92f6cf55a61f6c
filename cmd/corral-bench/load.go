package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callLoad makes ListSessions calls at a steady rate, spread over
// workers, until stopped.
type callLoad struct {
	n, errs atomic.Int64
	mu      sync.Mutex
	lat     []time.Duration // complete once stop returned
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// callWorkers is the number of goroutines making the calls.
const callWorkers = 32

// startCalls starts callsPerSec ListSessions calls per second (none when
// it is not positive).
func startCalls(ctx context.Context, srv *benchServer, callsPerSec int) *callLoad {
	cctx, cancel := context.WithCancel(ctx)
	l := &callLoad{cancel: cancel}
	if callsPerSec <= 0 {
		return l
	}
	interval := time.Duration(int64(time.Second) * int64(callWorkers) / int64(callsPerSec))
	for w := 0; w < callWorkers; w++ {
		l.wg.Add(1)
		go l.worker(cctx, srv, interval)
	}
	return l
}

func (l *callLoad) worker(ctx context.Context, srv *benchServer, interval time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	local := make([]time.Duration, 0, 1024)
	for {
		select {
		case <-ctx.Done():
			l.mu.Lock()
			l.lat = append(l.lat, local...)
			l.mu.Unlock()
			return
		case <-t.C:
			start := time.Now()
			err := srv.call("ListSessions", struct{}{}, nil)
			local = append(local, time.Since(start))
			l.n.Add(1)
			if err != nil {
				l.errs.Add(1)
			}
		}
	}
}

// stop ends the calls and waits for the workers; it may be called again.
func (l *callLoad) stop() {
	l.cancel()
	l.wg.Wait()
}

// sampler watches the server process's RSS every 200 ms and, as a
// control, how late a 1 ms sleep in this process wakes up: when its tail
// is as long as the delivery tail, the tail is the machine's.
type sampler struct {
	rssMax   atomic.Int64
	lateness []time.Duration // complete once stop returned
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startSampling(ctx context.Context, pid int) *sampler {
	rctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				if r, _ := procStat(pid); r > s.rssMax.Load() {
					s.rssMax.Store(r)
				}
			}
		}
	}()
	go func() {
		defer s.wg.Done()
		for rctx.Err() == nil {
			start := time.Now()
			time.Sleep(time.Millisecond)
			s.lateness = append(s.lateness, time.Since(start)-time.Millisecond)
		}
	}()
	return s
}

// stop ends the sampling and waits for it; it may be called again.
func (s *sampler) stop() {
	s.cancel()
	s.wg.Wait()
}
