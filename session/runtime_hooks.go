package session

import "github.com/corral-dev/corral/config"

// Config returns the configuration in effect: the one corral started
// with, with [agents] and [sessions] as last reloaded.
func (r *Runtime) Config() *config.Config {
	r.reload.mu.Lock()
	defer r.reload.mu.Unlock()
	return r.reload.cfg
}

// BeforeClose registers fn to run at the start of Close, before the
// sessions stop (in the order registered): a component that starts
// turns (the scheduler) stops first.
func (r *Runtime) BeforeClose(fn func()) {
	r.hooksMu.Lock()
	defer r.hooksMu.Unlock()
	r.beforeClose = append(r.beforeClose, fn)
}

func (r *Runtime) runBeforeClose() {
	r.hooksMu.Lock()
	fns := r.beforeClose
	r.beforeClose = nil
	r.hooksMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
