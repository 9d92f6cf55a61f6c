package config

import (
	"fmt"
	"time"

	"github.com/corral-dev/corral/policy"
)

// Limits holds the `[limits]` table: defaults applied to every capability
// that does not set its own value, and the global process cap.
type Limits struct {
	Timeout         time.Duration
	IdleTimeout     time.Duration
	MaxOutput       int64
	MaxStreamOutput int64
	MaxLine         int64
	MaxConcurrent   int
	// MaxProcesses caps all live children together (0 = no global cap).
	MaxProcesses int
}

type rawLimitFields struct {
	Timeout         *rawValue `toml:"timeout"`
	IdleTimeout     *rawValue `toml:"idle_timeout"`
	MaxOutput       *rawValue `toml:"max_output"`
	MaxStreamOutput *rawValue `toml:"max_stream_output"`
	MaxLine         *rawValue `toml:"max_line"`
	MaxConcurrent   *int64    `toml:"max_concurrent"`
}

type rawLimits struct {
	rawLimitFields
	MaxProcesses *int64 `toml:"max_processes"`
}

// rawValue keeps a scalar as decoded so sizes may be written either as a
// string ("64MiB") or a plain integer number of bytes.
type rawValue struct{ v any }

func (r *rawValue) UnmarshalTOML(v any) error { r.v = v; return nil }

// limits converts the shared limit keys; where prefixes every error.
func (v *validator) limits(where string, r rawLimitFields) (Limits, error) {
	var l Limits
	var err error
	if where == "[limits]" {
		where = v.name + ": [limits]"
	}
	if l.Timeout, err = duration(r.Timeout); err != nil {
		return l, fmt.Errorf("%s: timeout: %v", where, err)
	}
	if l.IdleTimeout, err = duration(r.IdleTimeout); err != nil {
		return l, fmt.Errorf("%s: idle_timeout: %v", where, err)
	}
	if l.MaxOutput, err = size(r.MaxOutput); err != nil {
		return l, fmt.Errorf("%s: max_output: %v", where, err)
	}
	if l.MaxStreamOutput, err = size(r.MaxStreamOutput); err != nil {
		return l, fmt.Errorf("%s: max_stream_output: %v", where, err)
	}
	if l.MaxLine, err = size(r.MaxLine); err != nil {
		return l, fmt.Errorf("%s: max_line: %v", where, err)
	}
	if l.MaxOutput > 0 && l.MaxStreamOutput > l.MaxOutput {
		return l, fmt.Errorf("%s: max_stream_output (%s) exceeds max_output (%s)", where,
			policy.FormatSize(l.MaxStreamOutput), policy.FormatSize(l.MaxOutput))
	}
	if r.MaxConcurrent != nil {
		if *r.MaxConcurrent < 0 || *r.MaxConcurrent > 1<<20 {
			return l, fmt.Errorf("%s: max_concurrent %d must be between 0 and %d", where, *r.MaxConcurrent, 1<<20)
		}
		l.MaxConcurrent = int(*r.MaxConcurrent)
	}
	return l, nil
}

func duration(r *rawValue) (time.Duration, error) {
	if r == nil {
		return 0, nil
	}
	s, ok := r.v.(string)
	if !ok {
		return 0, fmt.Errorf("must be a duration string such as \"10m\" or \"90s\", not %v", r.v)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"10m\" or \"90s\"", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q must not be negative", s)
	}
	return d, nil
}

func size(r *rawValue) (int64, error) {
	if r == nil {
		return 0, nil
	}
	switch t := r.v.(type) {
	case int64:
		if t <= 0 {
			return 0, fmt.Errorf("%d must be positive", t)
		}
		return t, nil
	case string:
		n, err := policy.ParseSize(t)
		if err != nil {
			return 0, err
		}
		if n <= 0 {
			return 0, fmt.Errorf("%q must be positive", t)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("must be a size such as \"64MiB\" or a number of bytes, not %v", r.v)
	}
}
