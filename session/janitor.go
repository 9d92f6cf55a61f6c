package session

import "time"

// StartJanitor starts idle cleanup: every tick, CleanupIdle stops the
// agent processes of sessions idle for longer than IdleTimeout and those
// beyond MaxIdleAgents. tick is the
// ticker channel (tests inject one); StopJanitor (or Shutdown) ends it.
func (m *Manager) StartJanitor(tick <-chan time.Time) {
	if m.janitorStop != nil {
		return
	}
	m.janitorStop, m.janitorDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.janitorDone)
		for {
			select {
			case <-m.janitorStop:
				return
			case <-tick:
				m.CleanupIdle()
			}
		}
	}()
}
