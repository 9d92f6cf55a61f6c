package session

import (
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/store"
)

// rateWindowRecorder is what a Recorder may offer (the store does) to
// keep the rate-limit windows agents report; without it they are only
// events.
type rateWindowRecorder interface {
	QueueRateWindows(ws []store.RateWindow) error
}

// rateWindows are the windows of one agent.rate_limits report of a
// session of agentName, observed at at (pure).
func rateWindows(agentName string, d agent.RateLimitsData, at time.Time) []store.RateWindow {
	out := make([]store.RateWindow, 0, len(d.Windows))
	for _, w := range d.Windows {
		out = append(out, store.RateWindow{Agent: agentName, Account: d.Account, Window: w.Window,
			UsedPercent: w.UsedPercent, WindowMinutes: w.WindowMinutes, ResetsAt: w.ResetsAt, Status: w.Status,
			ObservedAt: at})
	}
	return out
}

// onRateLimits keeps the windows an agent reported (on the actor).
func (m *Manager) onRateLimits(l *live, d agent.RateLimitsData, at time.Time) {
	if r, ok := m.o.Recorder.(rateWindowRecorder); ok && len(d.Windows) > 0 {
		m.record("record rate windows", l.id, r.QueueRateWindows(rateWindows(l.agentName, d, at)))
	}
}
