package session

import (
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

// The real implementations of the session layer's seams (seams.go).
var (
	_ Recorder      = (*store.Store)(nil)
	_ PolicyChecker = (*policy.Policy)(nil)
	_ Proc          = (*supervise.Process)(nil)
	_ Launcher      = supervisorLauncher{}
)

// supervisorLauncher is the supervisor as a Launcher.
type supervisorLauncher struct{ *supervise.Supervisor }

func (s supervisorLauncher) Start(spec supervise.Spec) (Proc, error) {
	p, err := s.Supervisor.Start(spec)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return p, nil
}
