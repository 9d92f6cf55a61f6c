package supervise

import (
	"sync"
	"time"
)

// reaper kills and reaps descendants that left their tree and were
// re-parented to corral (which needs Config.Subreaper): after a managed
// process ended, and every second, it looks at corral's children that lead
// no managed tree and carry this supervisor's marker. One whose process is
// over (or between two runs) is killed with its group. Every such child
// seen alive is reaped once it died, and so is every dead member of the
// group of a recently ended run (killed by proc after its leader exited,
// and re-parented to corral), so no zombie stays. Children of corral started
// by other code carry no marker and lead other groups: never touched.
type reaper struct {
	s      *Supervisor
	kickCh chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
	seen   map[int]uint64 // adopted pid → start time, to reap once dead

	mu     sync.Mutex
	groups map[int]time.Time // groups of ended runs → when they ended

	anc       ancestry // the ancestry scan (fallback containment)
	startOnce sync.Once
	running   bool // the loop was started (under startOnce, then read-only)
}

func newReaper(s *Supervisor) *reaper {
	r := &reaper{s: s, kickCh: make(chan struct{}, 1), stop: make(chan struct{}), seen: map[int]uint64{}, groups: map[int]time.Time{}}
	if s.subreaper {
		r.start()
	}
	return r
}

// start runs the reaper's loop; it is needed only while corral is the
// child subreaper (the fallback containment).
func (r *reaper) start() {
	r.startOnce.Do(func() {
		r.mu.Lock()
		r.running = true
		r.mu.Unlock()
		r.wg.Add(1)
		go r.run()
	})
}

func (r *reaper) active() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running
}

// ended records that the run leading group pgid was reaped: members of
// that group re-parented to corral are its leftovers, and the reaper reaps
// them once they died. Groups are forgotten after groupMemory.
func (r *reaper) ended(pgid int) {
	if !r.active() {
		return
	}
	r.mu.Lock()
	r.groups[pgid] = time.Now()
	r.mu.Unlock()
	r.kick()
}

// groupMemory is how long the group of an ended run is remembered; its
// members die within milliseconds of the kill.
const groupMemory = 30 * time.Second

// endedGroups returns the remembered groups, forgetting old ones.
func (r *reaper) endedGroups() map[int]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[int]bool, len(r.groups))
	for g, t := range r.groups {
		if time.Since(t) > groupMemory {
			delete(r.groups, g)
			continue
		}
		out[g] = true
	}
	return out
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
	tick := time.NewTicker(reaperPeriod)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			r.sweep()
			return
		case <-r.kickCh:
			r.sweep()
		case <-tick.C:
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

// reaperPeriod is how often the reaper sweeps without being kicked, to
// collect what died after the last kick.
const reaperPeriod = time.Second

func (r *reaper) close() {
	r.startOnce.Do(func() {}) // a fall-back after this point starts nothing
	close(r.stop)
	r.wg.Wait()
}
