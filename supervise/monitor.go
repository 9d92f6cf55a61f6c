package supervise

import (
	"sync"
	"time"

	"github.com/corral-dev/corral/event"
)

// monitor samples the CPU and memory of every managed process tree at a
// fixed interval, stores the figures in each Process, emits process.stats
// events (droppable: a slow sink loses samples, not output) and applies the
// soft memory limits.
type monitor struct {
	s        *Supervisor
	interval time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
	sampler  sampler
}

func newMonitor(s *Supervisor, interval time.Duration) *monitor {
	m := &monitor{s: s, interval: interval, stop: make(chan struct{}), sampler: newSampler()}
	m.wg.Add(1)
	go m.run()
	return m
}

func (m *monitor) run() {
	defer m.wg.Done()
	// Sampling CPU needs a delta, so it runs on the real clock whatever
	// Clock the supervisor was given.
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.tick()
		}
	}
}

func (m *monitor) close() {
	close(m.stop)
	m.wg.Wait()
}

// treeSample is the sample of one process tree.
type treeSample struct {
	root  root
	stats Stats
}

func (m *monitor) tick() {
	live := m.s.live()
	roots := make([]root, 0, len(live))
	for _, p := range live {
		p.mu.Lock()
		if p.cur != nil {
			roots = append(roots, root{id: p.id, pid: p.pid, start: p.startTime, cgroup: p.group, p: p})
		}
		p.mu.Unlock()
	}
	now := time.Now()
	for _, ts := range m.sampler.sample(roots, now, m.s.marker) {
		p := ts.root.p
		ts.stats.Time = m.s.clock.Now()
		p.mu.Lock()
		p.stats = ts.stats
		p.mu.Unlock()
		over := p.spec.MemoryLimit > 0 && ts.stats.RSS > p.spec.MemoryLimit
		data := struct {
			Stats
			MemoryLimit uint64 `json:"memoryLimit,omitempty"`
			OverLimit   bool   `json:"overLimit,omitempty"`
		}{ts.stats, p.spec.MemoryLimit, over}
		ev := event.New(event.ProcessStats, data)
		ev.Time = ts.stats.Time
		p.stamp(&ev)
		if over {
			// The crossing itself must be seen: not droppable.
			m.s.disp.push(ev, false)
			if p.spec.MemoryAction == MemoryStop || p.spec.MemoryAction == MemoryRestart {
				p.memoryOver()
			}
			continue
		}
		m.s.disp.push(ev, true)
	}
}

// root is one managed tree to sample: its leader, and the id its escaped
// descendants carry in their marker.
type root struct {
	id    string
	pid   int
	start uint64
	// cgroup is the tree's cgroup (cgroup containment): its members are
	// the tree, whatever their parentage.
	cgroup string
	p      *Process // nil when sampling ledger entries
}
