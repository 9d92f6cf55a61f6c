package fleet

import (
	"fmt"
	"slices"
)

// Placement error codes: the API reports them as the error's code.
const (
	CodeRunnerNotFound   = "runner_not_found"    // no runner of that name is known
	CodeRunnerOffline    = "runner_offline"      // the named runner is lost
	CodeNoRunnerForAgent = "no_runner_for_agent" // no online runner (or not the named one) has the agent
)

// A PlacementError says why no runner was chosen; Code is one of the
// Code* constants.
type PlacementError struct {
	Code, Runner, Agent string
}

func (e *PlacementError) Error() string {
	switch e.Code {
	case CodeRunnerNotFound:
		return fmt.Sprintf("no runner named %q", e.Runner)
	case CodeRunnerOffline:
		return fmt.Sprintf("runner %q is offline", e.Runner)
	}
	if e.Runner != "" {
		return fmt.Sprintf("runner %q has no agent %q", e.Runner, e.Agent)
	}
	return fmt.Sprintf("no online runner has the agent %q", e.Agent)
}

// ErrorCode returns the API error code.
func (e *PlacementError) ErrorCode() string { return e.Code }

// Place chooses the runner of a new session with agent: runner named when
// named is not empty (it must be known, online and have the agent), else
// the least-loaded online runner that has the agent. Load is sessions per
// capacity (a runner without a capacity counts its sessions), then the
// machine's load average; ties go to the first name. It fails with a
// *PlacementError.
func Place(runners []Runner, agent, named string) (string, error) {
	if named != "" {
		for _, r := range runners {
			if r.Name != named {
				continue
			}
			switch {
			case r.Status != StatusOnline:
				return "", &PlacementError{Code: CodeRunnerOffline, Runner: named, Agent: agent}
			case !slices.Contains(r.Agents, agent):
				return "", &PlacementError{Code: CodeNoRunnerForAgent, Runner: named, Agent: agent}
			}
			return named, nil
		}
		return "", &PlacementError{Code: CodeRunnerNotFound, Runner: named, Agent: agent}
	}
	best := -1
	for i, r := range runners {
		if r.Status != StatusOnline || !slices.Contains(r.Agents, agent) || full(r) {
			continue
		}
		if best < 0 || lessLoaded(r, runners[best]) {
			best = i
		}
	}
	if best < 0 {
		return "", &PlacementError{Code: CodeNoRunnerForAgent, Agent: agent}
	}
	return runners[best].Name, nil
}

// full reports a runner at its capacity.
func full(r Runner) bool { return r.Capacity > 0 && r.Sessions >= r.Capacity }

// lessLoaded orders runners for Place.
func lessLoaded(a, b Runner) bool {
	la, lb := share(a), share(b)
	if la != lb {
		return la < lb
	}
	if a.Load != b.Load {
		return a.Load < b.Load
	}
	return a.Name < b.Name
}

func share(r Runner) float64 {
	if r.Capacity > 0 {
		return float64(r.Sessions) / float64(r.Capacity)
	}
	return float64(r.Sessions)
}
