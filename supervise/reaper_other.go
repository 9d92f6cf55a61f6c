//go:build !linux

package supervise

func (r *reaper) sweep() {}
