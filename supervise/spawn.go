package supervise

import (
	"fmt"

	"github.com/corral-dev/corral/proc"
)

// spawn starts one run (attempt) of process id. In cgroup mode the child
// starts in a new group of its own (see Containment), whose path it
// returns. When that group cannot be created the run goes on without one
// and warn says why; when the kernel refuses the spawn into a cgroup, the
// supervisor falls back for good and the spawn is tried again without.
// intent is called with the group ("" without) before the child starts.
func (s *Supervisor) spawn(spec proc.Spec, id string, attempt int, sink proc.Sink, intent func(group string)) (cp *proc.Process, group string, warn, err error) {
	group, gerr := s.newTreeGroup(id, attempt)
	if gerr != nil {
		warn = fmt.Errorf("supervise: cannot create the cgroup of the process, it runs without one: %w", gerr)
	}
	intent(group)
	spec.Cgroup = group
	cp, err = proc.Start(spec, sink)
	if err != nil && group != "" {
		removeTreeGroup(group)
		group = ""
		if cgroupUnsupported(err) {
			s.fallBack(err)
			spec.Cgroup = ""
			cp, err = proc.Start(spec, sink)
		}
	}
	return cp, group, warn, err
}
