package session

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/store"
)

// ReloadResult says what a configuration reload changed.
type ReloadResult struct {
	// Path is the file read; "" when there was none (the defaults).
	Path string `json:"path"`
	// Applied names the tables now in effect for new agent launches and
	// idle cleanup: "agents", "sessions".
	Applied []string `json:"applied"`
	// RestartNeeded names the tables that changed but take effect only
	// when corral restarts: "capability", "limits", "server", "policy".
	RestartNeeded []string `json:"restartNeeded"`
}

// reloader is the state ReloadConfig needs: where the configuration came
// from and what is in effect.
type reloader struct {
	mu   sync.Mutex
	path string // the --config path; "" means the default path
	cfg  *config.Config
}

// newPolicy builds the policy of cfg with the runtime's audit sink:
// denials are stored, allowed launches are routine.
func newPolicy(cfg *config.Config, st *store.Store) (*policy.Policy, error) {
	return policy.New(cfg, policy.Options{Sink: func(ev event.Event) {
		if strings.Contains(string(ev.Data), `"allowed":false`) {
			st.Append(ev) //nolint:errcheck // best effort audit
		}
	}})
}

// Reload reads the configuration file again and applies what can change
// while sessions run: [agents] (command, args, env, pass_env, default_env:
// the next launch of each agent uses them) and [sessions] (idle limits,
// from the next cleanup). Running agent processes keep the environment
// they started with. Changes to capabilities, [limits], [server] or
// [policy] are reported in RestartNeeded. An invalid file changes nothing
// and returns its error.
func (r *Runtime) Reload() (ReloadResult, error) {
	r.reload.mu.Lock()
	defer r.reload.mu.Unlock()
	cfg, err := config.Load(r.reload.path)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	pol, err := newPolicy(cfg, r.Store)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	old := r.reload.cfg
	res := ReloadResult{Path: cfg.Path, Applied: []string{"agents", "sessions"}, RestartNeeded: []string{}}
	for _, c := range []struct {
		name     string
		old, new any
	}{
		{"capability", old.Capabilities, cfg.Capabilities},
		{"limits", old.Limits, cfg.Limits},
		{"server", old.Server, cfg.Server},
		{"policy", old.Policy, cfg.Policy},
	} {
		if !reflect.DeepEqual(c.old, c.new) {
			res.RestartNeeded = append(res.RestartNeeded, c.name)
		}
	}
	idle, maxIdle := idleDefaults(cfg.Sessions.IdleTimeout, cfg.Sessions.MaxIdleAgents)
	r.Manager.settings.set(settings{agents: cfg.Agents, policy: pol, idleTimeout: idle, maxIdleAgents: maxIdle})
	r.reload.cfg = cfg
	return res, nil
}
