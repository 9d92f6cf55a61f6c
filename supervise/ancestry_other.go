//go:build !linux

package supervise

// ancestry: there is no subreaper outside Linux, so nothing to remember.
type ancestry struct{}

func (r *reaper) rememberTrees() {}
