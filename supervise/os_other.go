//go:build !linux

package supervise

import (
	"errors"
	"time"
)

func becomeSubreaper() error {
	return errors.New("child subreaper is a Linux feature")
}

func leaveSubreaper() error { return nil }

func reapPid(int) bool { return false }

func isSubreaper() bool { return false }

// killMarked needs to read other processes' environments, which only Linux
// offers cheaply; elsewhere the process groups (Unix) or job objects
// (Windows) are the boundary.
func killMarked(string) []int { return nil }

func termMarked(string) []int { return nil }

// leftAlive returns those of pgids that still hold a process; markers are
// not read here.
func leftAlive(pgids []int, _ string) ([]int, bool) { return stillAlive(pgids, groupAlive), false }

// sampler measures nothing outside Linux yet: Info.Stats stay zero and no
// memory limit fires there (see docs/supervise.md).
type sampler struct{}

func newSampler() sampler { return sampler{} }

func (sampler) sample([]root, time.Time, string) []treeSample { return nil }
