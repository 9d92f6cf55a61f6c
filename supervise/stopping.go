package supervise

// This file is the stop path of a run: the requests (Stop, Kill, the memory
// limit, the output caps) and the limits that end it, and the graceful
// sequence (stdin closed, SIGTERM to the tree, the grace, SIGKILL).

// beginStop stops the run for reason (and limit). Only the first reason is
// reported; a later call can only escalate a graceful stop to a kill.
// requested says whether the stop was asked for (it then never restarts);
// kill skips the grace.
func (r *run) beginStop(reason, limit string, requested, kill bool) {
	s := r.p.s
	if !r.stopping {
		// Fallback containment: learn the tree before the stop orphans
		// its members.
		s.reaper.rememberTrees()
	}
	if r.out.reason == "" {
		r.out.reason, r.out.limit = reason, limit
	}
	r.out.requested = r.out.requested || requested
	if kill {
		r.cp.Kill()
	}
	if r.stopping {
		return
	}
	r.stopping = true
	stopTimer(&r.readyT)
	stopTimer(&r.startT)
	stopTimer(&r.idleT)
	stopTimer(&r.totalT)
	r.p.setState(StateStopping, map[string]any{"reason": r.out.reason, "limit": r.out.limit})
	if !kill {
		gracefulStop(r.cp, r.grace)
		r.killT = s.clock.NewTimer(r.grace)
	}
}

// onRequest acts on the requests that woke the loop, the strongest first.
func (r *run) onRequest() {
	p := r.p
	stop, kill, mem, outLimit := p.requests()
	switch {
	case kill:
		r.beginStop(ReasonKilled, "", true, true)
	case stop:
		r.beginStop(ReasonKilled, "", true, false)
	case outLimit != "" && !r.stopping:
		r.beginStop(ReasonOutputLimit, outLimit, true, false)
	case mem && !r.stopping:
		restart := memoryRestarts(p.spec)
		r.out.memory = restart
		r.beginStop(ReasonMemory, "", !restart, false)
	}
}

// memoryRestarts reports whether passing the memory limit lets the restart
// policy decide (the restart action with a policy that restarts) rather
// than being a requested stop.
func memoryRestarts(spec Spec) bool {
	return spec.MemoryAction == MemoryRestart && spec.Restart.Mode != RestartNever && spec.Restart.Mode != ""
}

// memoryOver is called by the monitor when the tree's RSS passed the limit.
func (p *Process) memoryOver() {
	p.request(func() { p.memReq = true })
}
