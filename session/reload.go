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
	// cfg is the configuration in effect: the tables corral started with,
	// but [agents] and [sessions] as last reloaded.
	cfg *config.Config
}

// newPolicy builds the policy of cfg with the runtime's audit sink:
// denials are stored, allowed launches are routine.
func newPolicy(cfg *config.Config, st *store.Store) (*policy.Policy, error) {
	return policy.New(cfg, policy.Options{Sink: func(ev event.Event) {
		if strings.Contains(string(ev.Data), `"allowed":false`) {
			st.Append(ev) // error ignored: best effort audit
		}
	}})
}

// inEffect is the configuration a reload of file puts in effect over cur:
// [agents], [sessions] and [budget] from file, every other table from
// cur (they take effect only at a restart).
func inEffect(cur, file *config.Config) *config.Config {
	eff := *cur
	eff.Path, eff.Agents, eff.Sessions, eff.Budget = file.Path, file.Agents, file.Sessions, file.Budget
	return &eff
}

// restartNeeded names the restart-only tables in which file differs from
// the configuration in effect, in a fixed order.
func restartNeeded(cur, file *config.Config) []string {
	out := []string{}
	for _, c := range []struct {
		name     string
		old, new any
	}{
		{"capability", cur.Capabilities, file.Capabilities},
		{"limits", cur.Limits, file.Limits},
		{"server", cur.Server, file.Server},
		{"policy", cur.Policy, file.Policy},
		{"attachments", cur.Attachments, file.Attachments},
	} {
		if !reflect.DeepEqual(c.old, c.new) {
			out = append(out, c.name)
		}
	}
	return out
}

// Reload reads the configuration file again and applies what can change
// while sessions run: [agents] (command, args, env, pass_env, default_env:
// the next launch of each agent uses them) and [sessions] (idle limits,
// from the next cleanup). Running agent processes keep the environment
// they started with. Capabilities, [limits], [server] and [policy] keep
// the values corral started with (agent launches too are checked against
// them); where the file differs from those, the table is named in
// RestartNeeded, on every reload until corral restarts. An invalid file
// changes nothing and returns its error.
func (r *Runtime) Reload() (ReloadResult, error) {
	r.reload.mu.Lock()
	defer r.reload.mu.Unlock()
	file, err := config.Load(r.reload.path)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	eff := inEffect(r.reload.cfg, file)
	pol, err := newPolicy(eff, r.Store)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	res := ReloadResult{Path: file.Path, Applied: []string{"agents", "sessions", "budget"}, RestartNeeded: restartNeeded(r.reload.cfg, file)}
	idle, maxIdle := idleDefaults(eff.Sessions.IdleTimeout, eff.Sessions.MaxIdleAgents)
	r.Manager.settings.set(settings{agents: eff.Agents, policy: pol, idleTimeout: idle, maxIdleAgents: maxIdle,
		isolation: eff.Sessions.Isolation, setup: eff.Sessions.Setup, budget: eff.Budget})
	r.reload.cfg = eff
	return res, nil
}
