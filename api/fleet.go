package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/corral-dev/corral/session"
)

// Fleet error codes (docs/api.md, "Fleet"): CreateSession with a runner.
const (
	CodeRunnerNotFound   = "runner_not_found"    // no runner of that name is known
	CodeRunnerOffline    = "runner_offline"      // the runner is lost, or did not answer a routed call in time
	CodeNoRunnerForAgent = "no_runner_for_agent" // no online runner (or not the named one) has the agent
)

// fleetStatus is the HTTP status of a fleet code (0: not one).
func fleetStatus(code string) int {
	switch code {
	case CodeRunnerNotFound:
		return http.StatusNotFound
	case CodeRunnerOffline:
		return http.StatusServiceUnavailable
	case CodeNoRunnerForAgent:
		return http.StatusConflict
	}
	return 0
}

// RunnerInfo is one runner of the fleet as ListRunners reports it.
type RunnerInfo struct {
	Name     string            `json:"name"`
	Status   string            `json:"status"` // online | lost
	Version  string            `json:"version"`
	Agents   []string          `json:"agents"`
	Sessions int               `json:"sessions"`
	Capacity int               `json:"capacity"` // 0: no limit
	CPU      float64           `json:"cpu"`      // percent of one core
	RSS      int64             `json:"rss"`      // bytes
	Load     float64           `json:"load"`     // one-minute load average
	Labels   map[string]string `json:"labels"`
	LastSeen time.Time         `json:"lastSeen"`
}

// Fleet is the hub's side of the fleet (corral serve --fleet).
type Fleet interface {
	// Runners lists the runners by name.
	Runners() []RunnerInfo
	// Place chooses the runner of a new session with agent: named if not
	// empty, else the least-loaded online runner with the agent. Its
	// errors carry a fleet code (ErrorCode() string).
	Place(agent, named string) (string, error)
}

// SessionRouter creates a session on a runner (the relay of the fleet).
type SessionRouter func(ctx context.Context, runner string, p CreateSessionParams) (session.Info, error)

// WithFleet enables ListRunners and CreateSession's runner; without it
// they fail with code unsupported (the fleet is off).
func WithFleet(f Fleet) Option { return func(a *API) { a.fleet = f } }

// WithSessionRouter lets CreateSession start a session on the runner
// placement chose.
func WithSessionRouter(r SessionRouter) Option { return func(a *API) { a.createOn = r } }

// AnyRunner, as CreateSession's runner, lets placement choose the
// least-loaded online runner that has the agent.
const AnyRunner = "*"

func errFleetOff() error {
	return Errorf(CodeUnsupported, "the fleet is off: start corral serve with --fleet (or --nats) to use runners")
}

// ListRunners lists the runners of the fleet: from their heartbeats, each
// online or lost (no heartbeat within the hub's timeout), with its agents
// and load. It fails with unsupported when the fleet is off.
func (a *API) ListRunners(ctx context.Context, _ Empty) ([]RunnerInfo, error) {
	if a.fleet == nil {
		return nil, errFleetOff()
	}
	return orEmpty(a.fleet.Runners()), nil
}

// createOnRunner places a new session on a runner (p.Runner: a name, or
// AnyRunner) and has the router start it there.
func (a *API) createOnRunner(ctx context.Context, p CreateSessionParams) (session.Info, error) {
	if a.fleet == nil {
		return session.Info{}, errFleetOff()
	}
	named := p.Runner
	if named == AnyRunner {
		named = ""
	}
	runner, err := a.fleet.Place(p.Agent, named)
	if err != nil {
		return session.Info{}, fleetError(err)
	}
	if a.createOn == nil {
		return session.Info{}, Errorf(CodeUnsupported, "runner %q was chosen, but this build cannot start sessions on runners", runner)
	}
	return a.createOn(ctx, runner, p)
}

// fleetError gives a placement error its code.
func fleetError(err error) error {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) && fleetStatus(coded.ErrorCode()) != 0 {
		return &Error{Code: coded.ErrorCode(), Message: err.Error(), err: err}
	}
	return err
}
