package supervise

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/corral-dev/corral/event"
)

// LimitReached is returned by Start when a limit is full and the
// configuration rejects (or the queue is full).
type LimitReached struct {
	// Limit names the limit: "global", "kind:<kind>" or "queue".
	Limit string
	Max   int
}

func (e *LimitReached) Error() string {
	return fmt.Sprintf("supervise: limit %s reached (max %d)", e.Limit, e.Max)
}

// ErrClosed is returned by Start after Shutdown began.
var ErrClosed = errors.New("supervise: supervisor is shutting down")

// Supervisor manages processes. Create it with New and end it with Shutdown.
type Supervisor struct {
	cfg    Config
	clock  Clock
	token  string
	marker string // MarkerKey
	// selfStart is corral's own start time, recorded in ledger entries.
	selfStart uint64

	mu      sync.Mutex
	procs   map[string]*Process
	order   []*Process // registry order, for listings
	nextID  int
	closing bool
	running int
	perKind map[string]int
	queue   []*Process
	all     sync.WaitGroup

	randMu sync.Mutex
	rng    *mrand.Rand

	// spawnMu is held for reading while a child is started and its pid not
	// yet known, and for writing by the adopted-process reaper, which must
	// never mistake a fresh child for an orphan.
	spawnMu sync.RWMutex

	disp     *dispatcher
	mon      *monitor
	reaper   *reaper
	watchdog *Watchdog

	cmu       sync.Mutex
	contain   Containment
	subreaper bool // corral is the child subreaper: the fallback is in force
}

// New returns a running Supervisor. It fails only when the watchdog or the
// subreaper was asked for and cannot be set up; it then leaves nothing
// behind: no watchdog, no goroutine, no descriptor, no cgroup, and the
// process is no child subreaper unless it was one before. The Ledger is the
// caller's: New does not touch it.
func New(cfg Config) (*Supervisor, error) {
	return newSupervisor(cfg, StartWatchdog)
}

// watchdogStarter is StartWatchdog's signature: New's way to start the
// watchdog, replaced in tests to make it fail part-way.
type watchdogStarter func(argv, env []string, markerPrefix string) (*Watchdog, error)

func newSupervisor(cfg Config, startWatchdog watchdogStarter) (_ *Supervisor, err error) {
	s := newBare(cfg)
	cfg = s.cfg // with the defaults
	s.contain = s.setupContainment()
	madeSubreaper := false
	defer func() {
		if err != nil {
			s.releaseSetup(madeSubreaper)
		}
	}()
	if cfg.Subreaper && s.contain.Mode != ContainCgroup {
		was := isSubreaper()
		if err := becomeSubreaper(); err != nil {
			return nil, fmt.Errorf("supervise: cannot become a child subreaper: %w", err)
		}
		s.subreaper, madeSubreaper = true, !was
	}
	if len(cfg.Watchdog) > 0 {
		if s.watchdog, err = startWatchdog(cfg.Watchdog, cfg.WatchdogEnv, s.MarkerPrefix()); err != nil {
			return nil, err
		}
		if s.contain.Cgroup != "" {
			if err := s.watchdog.send("C " + s.contain.Cgroup); err != nil {
				return nil, err
			}
		}
		if cfg.DeathGrace > 0 {
			if err := s.watchdog.SetGrace(cfg.DeathGrace); err != nil {
				return nil, err
			}
		}
	}
	// Nothing fails from here on.
	s.disp = newDispatcher(cfg.Sink, cfg.EventQueue)
	s.reaper = newReaper(s)
	if s.contain.Mode == ContainCgroup && isSubreaper() {
		// Orphans of the trees come to this process: reap them.
		s.reaper.start()
	}
	if cfg.MonitorInterval > 0 {
		s.mon = newMonitor(s, cfg.MonitorInterval)
	}
	return s, nil
}

// newBare returns a Supervisor with cfg's defaults applied, its token and
// random source, and nothing started: nothing to release.
func newBare(cfg Config) *Supervisor {
	if cfg.WhenFull == "" {
		cfg.WhenFull = Queue
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.EventQueue <= 0 {
		cfg.EventQueue = DefaultEventQueue
	}
	if cfg.MonitorInterval == 0 {
		cfg.MonitorInterval = DefaultMonitorInterval
	}
	if cfg.MarkerKey == "" {
		cfg.MarkerKey = DefaultMarkerKey
	}
	s := &Supervisor{
		cfg:     cfg,
		clock:   cfg.Clock,
		marker:  cfg.MarkerKey,
		procs:   map[string]*Process{},
		perKind: map[string]int{},
	}
	if s.clock == nil {
		s.clock = RealClock{}
	}
	s.selfStart, _ = startTime(os.Getpid())
	var seed [16]byte
	rand.Read(seed[:])
	s.token = hex.EncodeToString(seed[:4])
	s.rng = mrand.New(mrand.NewPCG(
		uint64(seed[4])|uint64(seed[5])<<8|uint64(seed[6])<<16|uint64(seed[7])<<24,
		uint64(seed[8])|uint64(seed[9])<<8|uint64(seed[10])<<16|uint64(seed[11])<<24))
	return s
}

// releaseSetup undoes what New set up before it failed: the watchdog
// (its process, its pipe, its goroutine), the supervisor's cgroup, and the
// child subreaper when this New made the process one (madeSubreaper): no
// reaper would collect the orphans re-parented to it.
func (s *Supervisor) releaseSetup(madeSubreaper bool) {
	if madeSubreaper {
		leaveSubreaper()
		s.subreaper = false
	}
	if s.watchdog != nil {
		s.watchdog.Close()
		s.watchdog = nil
	}
	if s.contain.Cgroup != "" {
		removeInstanceGroup(s.contain.Cgroup)
	}
}

// Token identifies this supervisor in markers and process ids.
func (s *Supervisor) Token() string { return s.token }

// MarkerPrefix is the environment entry prefix ("KEY=token/") carried by
// every process this supervisor started and their descendants.
func (s *Supervisor) MarkerPrefix() string { return s.marker + "=" + s.token + "/" }

func (s *Supervisor) random() float64 {
	if s.cfg.Rand != nil {
		return s.cfg.Rand()
	}
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return s.rng.Float64()
}

// Start admits a managed process and starts it (or queues it). It returns
// *LimitReached when the configuration rejects, or the queue is full, and
// ErrClosed during Shutdown. Everything that happens after admission,
// including a failed spawn, is reported through events and Process.Wait.
func (s *Supervisor) Start(spec Spec) (*Process, error) {
	if spec.Name == "" {
		spec.Name = spec.Program
	}
	if spec.SessionID == "" && spec.Owner.Kind == "session" {
		spec.SessionID = spec.Owner.ID
	}
	if spec.Restart.Mode == "" && spec.Daemon {
		spec.Restart.Mode = RestartOnFailure
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.nextID++
	p := newProcess(s, s.token+"-"+strconv.Itoa(s.nextID), spec)
	queued := false
	if lim := s.fullLocked(spec.Owner.Kind); lim != nil {
		if s.cfg.WhenFull == Reject {
			s.mu.Unlock()
			return nil, lim
		}
		if len(s.queue) >= s.cfg.MaxQueue {
			s.mu.Unlock()
			return nil, &LimitReached{Limit: "queue", Max: s.cfg.MaxQueue}
		}
		s.queue = append(s.queue, p)
		queued = true
	} else {
		s.takeSlotLocked(spec.Owner.Kind)
	}
	s.procs[p.id] = p
	s.order = append(s.order, p)
	s.all.Add(1)
	if queued {
		p.setQueued(len(s.queue))
	}
	s.mu.Unlock()
	go p.loop(!queued)
	return p, nil
}

// fullLocked returns the first limit that a new process of kind would pass.
func (s *Supervisor) fullLocked(kind string) *LimitReached {
	if s.cfg.MaxProcesses > 0 && s.running >= s.cfg.MaxProcesses {
		return &LimitReached{Limit: "global", Max: s.cfg.MaxProcesses}
	}
	if m, ok := s.cfg.MaxPerKind[kind]; ok && m > 0 && s.perKind[kind] >= m {
		return &LimitReached{Limit: "kind:" + kind, Max: m}
	}
	return nil
}

func (s *Supervisor) takeSlotLocked(kind string) {
	s.running++
	s.perKind[kind]++
}

// releaseSlot frees p's slot and admits what fits from the queue, in order.
func (s *Supervisor) releaseSlot(p *Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	s.perKind[p.spec.Owner.Kind]--
	s.admitLocked()
}

func (s *Supervisor) admitLocked() {
	changed := false
	for i := 0; i < len(s.queue); {
		q := s.queue[i]
		if s.fullLocked(q.spec.Owner.Kind) != nil {
			i++
			continue
		}
		s.queue = slices.Delete(s.queue, i, i+1)
		s.takeSlotLocked(q.spec.Owner.Kind)
		q.setQueued(0)
		close(q.admitted)
		changed = true
	}
	if changed {
		s.renumberLocked()
	}
}

// renumberLocked emits the new position of every queued process that moved.
func (s *Supervisor) renumberLocked() {
	for i, q := range s.queue {
		q.setQueued(i + 1)
	}
}

// dequeue removes a queued p that is being stopped before admission.
func (s *Supervisor) dequeue(p *Process) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.queue, p)
	if i < 0 {
		return false
	}
	s.queue = slices.Delete(s.queue, i, i+1)
	s.renumberLocked()
	return true
}

// unregister removes p from the registry, just before its terminal event:
// whoever sees the process over no longer finds it in List.
func (s *Supervisor) unregister(p *Process) {
	s.mu.Lock()
	delete(s.procs, p.id)
	if i := slices.Index(s.order, p); i >= 0 {
		s.order = slices.Delete(s.order, i, i+1)
	}
	s.mu.Unlock()
}

// finished is called by a process's loop once its terminal event is queued.
func (s *Supervisor) finished(*Process) {
	s.reaper.kick()
	s.all.Done()
}

// Get returns the live (not yet finished) process with id.
func (s *Supervisor) Get(id string) (*Process, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.procs[id]
	return p, ok
}

// List returns a snapshot of every live managed process, oldest first.
func (s *Supervisor) List() []Info {
	s.mu.Lock()
	ps := slices.Clone(s.order)
	s.mu.Unlock()
	out := make([]Info, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Info())
	}
	return out
}

func (s *Supervisor) live() []*Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// Dropped reports how many events (output lines and samples) were dropped
// because the sink fell behind.
func (s *Supervisor) Dropped() uint64 { return s.disp.droppedTotal() }

// KillAll kills every managed process group at once, without grace, and
// cancels queued and backing-off processes. It does not wait.
func (s *Supervisor) KillAll() {
	for _, p := range s.live() {
		p.Kill()
	}
}

// Shutdown stops accepting processes, stops every managed process with its
// grace/kill sequence, and waits for all of them to be reaped. If ctx ends
// first, everything left is killed at once (as KillAll) and Shutdown still
// waits for the reaping, which the kill makes prompt. It then kills any
// leftover process carrying this supervisor's marker, ends the monitor and
// the watchdog, and delivers the remaining events (waiting for the sink no
// longer than ctx allows). It is safe to call more than once.
func (s *Supervisor) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closing
	s.closing = true
	s.mu.Unlock()
	for _, p := range s.live() {
		p.Stop()
	}
	done := make(chan struct{})
	go func() {
		s.all.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.KillAll()
		<-done
	}
	if !first {
		return err
	}
	if s.mon != nil {
		s.mon.close()
	}
	s.reaper.close()
	killMarked(s.MarkerPrefix())
	if c := s.Containment(); c.Cgroup != "" {
		removeInstanceGroup(c.Cgroup)
	}
	if s.watchdog != nil {
		s.watchdog.Close()
	}
	if !s.disp.close(ctx) && err == nil {
		err = ctx.Err()
	}
	return err
}

// emit queues a control event of p: never dropped.
func (s *Supervisor) emit(p *Process, kind string, data any) {
	ev := event.New(kind, data)
	ev.Time = s.clock.Now()
	p.stamp(&ev)
	s.disp.push(ev, false)
}

// sinceStart is for Info: how long ago t was.
func (s *Supervisor) sinceStart(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return s.clock.Now().Sub(t)
}
