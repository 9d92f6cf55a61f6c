package supervise

import (
	"sync"
	"time"
)

// reaper kills and reaps descendants that left their tree and were
// re-parented to corral (which needs Config.Subreaper): after a managed
// process ended, and at every kick, it looks at corral's children that lead
// no managed tree and carry this supervisor's marker. One whose process is
// over (or between two runs) is killed with its group, and every such child
// seen alive is reaped once it died, so no zombie stays. Children of corral
// started by other code carry no marker and are never touched.
type reaper struct {
	s      *Supervisor
	kickCh chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
	seen   map[int]uint64 // adopted pid → start time, to reap once dead
}

func newReaper(s *Supervisor) *reaper {
	r := &reaper{s: s, kickCh: make(chan struct{}, 1), stop: make(chan struct{}), seen: map[int]uint64{}}
	if s.cfg.Subreaper {
		r.wg.Add(1)
		go r.run()
	}
	return r
}

func (r *reaper) kick() {
	select {
	case r.kickCh <- struct{}{}:
	default:
	}
}

// reaperPause is the least time between two sweeps. A sweep reads all of
// /proc (about a millisecond on a busy machine); a burst of short processes
// then costs one sweep per pause instead of one per process, and an escaped
// descendant outlives its tree by at most this much.
const reaperPause = 50 * time.Millisecond

func (r *reaper) run() {
	defer r.wg.Done()
	for {
		select {
		case <-r.stop:
			r.sweep()
			return
		case <-r.kickCh:
			r.sweep()
		}
		t := time.NewTimer(reaperPause)
		select {
		case <-r.stop:
			t.Stop()
			r.sweep()
			return
		case <-t.C:
		}
	}
}

func (r *reaper) close() {
	close(r.stop)
	r.wg.Wait()
}
