package config

import (
	"fmt"
	"time"
)

// Sessions holds the `[sessions]` table: how long an idle agent keeps its
// process and how many idle ones may live at once. The zero value means
// the defaults.
type Sessions struct {
	// IdleTimeout stops the agent process of a session idle that long
	// (0: DefaultIdleTimeout; negative, from idle_timeout = "never": idle
	// agents stay).
	IdleTimeout time.Duration
	// MaxIdleAgents caps the agent processes of idle sessions; the least
	// recently used stops first (0: DefaultMaxIdleAgents; -1: no cap).
	MaxIdleAgents int
	// Isolation is the default isolation of a new session: "worktree" (a
	// git worktree of its own when the directory is in a git repository;
	// the default) or "none". Empty means "worktree".
	Isolation string
	// Setup maps a repository's top directory ("~" expanded, absolute) to
	// the capability run in each new worktree of it (e.g. npm ci).
	Setup map[string]string
}

// Defaults of `[sessions]`.
const (
	DefaultIdleTimeout   = 5 * time.Minute
	DefaultMaxIdleAgents = 4
)

type rawSessions struct {
	IdleTimeout   *rawValue         `toml:"idle_timeout"`
	MaxIdleAgents *int64            `toml:"max_idle_agents"`
	Isolation     *string           `toml:"isolation"`
	Setup         map[string]string `toml:"setup"`
}

// sessions converts `[sessions]`; idle_timeout also takes "never".
func (v *validator) sessions(r rawSessions) (Sessions, error) {
	var s Sessions
	where := v.name + ": [sessions]"
	if r.IdleTimeout != nil {
		if str, ok := r.IdleTimeout.v.(string); ok && str == "never" {
			s.IdleTimeout = -1
		} else {
			d, err := duration(r.IdleTimeout)
			if err != nil {
				return s, fmt.Errorf("%s: idle_timeout: %v (or \"never\")", where, err)
			}
			if d < time.Second {
				return s, fmt.Errorf("%s: idle_timeout: %v is too short (at least 1s, or \"never\")", where, d)
			}
			s.IdleTimeout = d
		}
	}
	if r.MaxIdleAgents != nil {
		n := *r.MaxIdleAgents
		if n != -1 && (n < 1 || n > 1<<16) {
			return s, fmt.Errorf("%s: max_idle_agents %d must be between 1 and %d, or -1 for no cap", where, n, 1<<16)
		}
		s.MaxIdleAgents = int(n)
	}
	if r.Isolation != nil {
		if *r.Isolation != "worktree" && *r.Isolation != "none" {
			return s, fmt.Errorf("%s: isolation %q must be \"worktree\" or \"none\"", where, *r.Isolation)
		}
		s.Isolation = *r.Isolation
	}
	return s, v.setup(r.Setup, &s)
}

// setup converts `[sessions.setup]`: repository paths to capability names.
func (v *validator) setup(raw map[string]string, s *Sessions) error {
	if len(raw) == 0 {
		return nil
	}
	s.Setup = make(map[string]string, len(raw))
	for repo, capName := range raw {
		p, err := v.dir(repo)
		if err != nil {
			return fmt.Errorf("%s: [sessions.setup]: %v", v.name, err)
		}
		if capName == "" {
			return fmt.Errorf("%s: [sessions.setup]: %q names no capability", v.name, repo)
		}
		s.Setup[p] = capName
	}
	return nil
}
