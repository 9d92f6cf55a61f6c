package config

import "fmt"

// Budget holds the `[budget]` table: caps on spend, in US dollars (the
// agent's reported cost, or the estimate from the price table where it
// reports none) and in tokens (input, output and cache, all counted). A
// nil field is no cap. At 80 % of a cap corral sends a notice; at 100 % it
// interrupts the running turn and refuses new ones until the cap is
// raised.
type Budget struct {
	// SessionUSD, SessionTokens cap each session's total; a session's own
	// budget (CreateSession, SetBudget) replaces them field by field.
	SessionUSD    *float64
	SessionTokens *int64
	// DayUSD, DayTokens cap the spend of all sessions together on one UTC
	// day.
	DayUSD    *float64
	DayTokens *int64
	// ProjectUSD, ProjectTokens cap the spend of all sessions in one
	// working directory, over all time.
	ProjectUSD    *float64
	ProjectTokens *int64
}

type rawBudget struct {
	SessionUSD    *float64 `toml:"session_usd"`
	SessionTokens *int64   `toml:"session_tokens"`
	DayUSD        *float64 `toml:"day_usd"`
	DayTokens     *int64   `toml:"day_tokens"`
	ProjectUSD    *float64 `toml:"project_usd"`
	ProjectTokens *int64   `toml:"project_tokens"`
}

// budget checks `[budget]`: no cap may be negative.
func (v *validator) budget(r rawBudget) (Budget, error) {
	for _, f := range []struct {
		name string
		usd  *float64
		tok  *int64
	}{
		{"session_usd", r.SessionUSD, nil}, {"session_tokens", nil, r.SessionTokens},
		{"day_usd", r.DayUSD, nil}, {"day_tokens", nil, r.DayTokens},
		{"project_usd", r.ProjectUSD, nil}, {"project_tokens", nil, r.ProjectTokens},
	} {
		if (f.usd != nil && *f.usd < 0) || (f.tok != nil && *f.tok < 0) {
			return Budget{}, fmt.Errorf("%s: [budget]: %s must not be negative", v.name, f.name)
		}
	}
	return Budget(r), nil
}
