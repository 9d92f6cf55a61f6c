package session

import (
	"sort"
	"sync"
	"time"

	"github.com/corral-dev/corral/config"
)

// settings are the parts of the configuration ReloadConfig may change
// while sessions run: the agents, the policy that checks their launches,
// and the idle limits. A launch reads them once.
type settings struct {
	agents        map[string]config.Agent
	policy        PolicyChecker
	idleTimeout   time.Duration // < 0: never
	maxIdleAgents int           // < 0: no cap
	// isolation and setup are [sessions] isolation and setup.
	isolation string
	setup     map[string]string
}

type settingsBox struct {
	mu sync.RWMutex
	s  settings
}

func (b *settingsBox) get() settings {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.s
}

func (b *settingsBox) set(s settings) {
	b.mu.Lock()
	b.s = s
	b.mu.Unlock()
}

// idleDefaults turns the zero values of Options into the defaults.
func idleDefaults(timeout time.Duration, maxIdle int) (time.Duration, int) {
	if timeout == 0 {
		timeout = config.DefaultIdleTimeout
	}
	if maxIdle == 0 {
		maxIdle = config.DefaultMaxIdleAgents
	}
	return timeout, maxIdle
}

// idleAgent is what the idle decision needs of one session with a live
// agent process.
type idleAgent struct {
	id string
	// idle: no turn running and no permission request pending.
	idle bool
	// lastActivity in unix ns.
	lastActivity int64
}

// idleToStop decides which idle agents to stop: every one idle for
// timeout or longer (timeout < 0: never), and, of those left, all but the
// maxIdle most recently active (maxIdle < 0: no cap). Busy agents are never
// stopped and do not count against the cap. The result is in order of
// last activity, oldest first.
func idleToStop(agents []idleAgent, now time.Time, timeout time.Duration, maxIdle int) []string {
	var idle []idleAgent
	for _, a := range agents {
		if a.idle {
			idle = append(idle, a)
		}
	}
	sort.SliceStable(idle, func(i, j int) bool { return idle[i].lastActivity > idle[j].lastActivity })
	var stop []string
	for i := len(idle) - 1; i >= 0; i-- { // oldest first
		a := idle[i]
		expired := timeout >= 0 && now.UnixNano()-a.lastActivity >= int64(timeout)
		overCap := maxIdle >= 0 && i >= maxIdle
		if expired || overCap {
			stop = append(stop, a.id)
		}
	}
	return stop
}

// CleanupIdle stops the agent processes of idle sessions (no turn running,
// no permission request pending) that saw no activity for the idle timeout,
// and the least recently active idle ones beyond the cap of idle agents.
// The sessions stay; their next message resumes the agent (a message sent
// while a stopped agent is still exiting waits for its exit first). It
// returns the ids of the sessions whose agent it stopped.
func (m *Manager) CleanupIdle() []string {
	st := m.settings.get()
	if st.idleTimeout < 0 && st.maxIdleAgents < 0 {
		return nil
	}
	var agents []idleAgent
	byID := map[string]*live{}
	for _, l := range m.snapshot() {
		if !l.mb.active() {
			continue // no actor: no process either
		}
		a, err := call(m, l, func() (idleAgent, error) {
			if l.proc == nil || l.retiring || l.stopping {
				return idleAgent{}, nil
			}
			return idleAgent{id: l.id, idle: l.turn == "" && l.perms.len() == 0, lastActivity: l.lastActivity.UnixNano()}, nil
		})
		if err == nil && a.id != "" {
			agents = append(agents, a)
			byID[l.id] = l
		}
	}
	stop := idleToStop(agents, m.o.Now(), st.idleTimeout, st.maxIdleAgents)
	var stopped []string
	for _, id := range stop {
		l := byID[id]
		ok, err := call(m, l, func() (bool, error) {
			p := l.proc
			if p == nil || l.turn != "" || l.perms.len() > 0 || l.retiring || l.stopping {
				return false, nil // it got busy meanwhile
			}
			// Marked on the actor: until its run.exited arrives, a message
			// waits for this agent to exit and starts a fresh one (Send)
			// instead of going to the dying agent.
			l.retiring = true
			m.log.Info("stopping idle agent", "session", id)
			p.Stop()
			return true, nil
		})
		if err == nil && ok {
			stopped = append(stopped, id)
		}
	}
	return stopped
}
