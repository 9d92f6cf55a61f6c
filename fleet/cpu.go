package fleet

import "time"

// cpuMeter turns the process's CPU time into a percentage of one core over
// the time between two calls.
type cpuMeter struct {
	lastCPU  time.Duration
	lastWall time.Time
}

func (m *cpuMeter) percent() float64 {
	now, cpu := time.Now(), cpuTime()
	defer func() { m.lastCPU, m.lastWall = cpu, now }()
	return cpuPercent(m.lastCPU, cpu, m.lastWall, now)
}

// cpuPercent is the CPU used between two samples in percent of one core;
// 0 for the first sample (zero time) or a clock that did not move.
func cpuPercent(cpu0, cpu1 time.Duration, wall0, wall1 time.Time) float64 {
	if wall0.IsZero() || !wall1.After(wall0) {
		return 0
	}
	return 100 * float64(cpu1-cpu0) / float64(wall1.Sub(wall0))
}
