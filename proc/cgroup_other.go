//go:build !linux

package proc

import (
	"os"
	"syscall"
)

// intoCgroup does nothing outside Linux: Spec.Cgroup is ignored.
func intoCgroup(*Spec, *syscall.SysProcAttr) (*os.File, error) { return nil, nil }

func (p *Process) killCgroup()            {}
func (p *Process) signalCgroup(sysSignal) {}
