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
	// AutoResumeOnLimit resumes a session whose turn ended on a rate or
	// usage limit automatically when the limit resets (a session's own
	// SetAutoResume overrides it). Default false.
	AutoResumeOnLimit bool
}

// Defaults of `[sessions]`.
const (
	DefaultIdleTimeout   = 5 * time.Minute
	DefaultMaxIdleAgents = 4
)

type rawSessions struct {
	IdleTimeout   *rawValue `toml:"idle_timeout"`
	MaxIdleAgents *int64    `toml:"max_idle_agents"`
	AutoResume    *bool     `toml:"auto_resume_on_limit"`
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
	if r.AutoResume != nil {
		s.AutoResumeOnLimit = *r.AutoResume
	}
	return s, nil
}
