package api

import (
	"context"
	"time"

	"github.com/corral-dev/corral/session"
)

// ConfigReloader re-reads the configuration file and applies what can
// change while corral runs ((*session.Runtime).Reload).
type ConfigReloader func() (session.ReloadResult, error)

// WithConfigReload enables ReloadConfig; without it the call fails with
// code internal ("not available").
func WithConfigReload(r ConfigReloader) Option { return func(a *API) { a.reload = r } }

// processStats is what GetProcessStats needs of the session manager
// (*session.Manager implements it).
type processStats interface {
	ProcessStats(processID, sessionID string, since time.Time) []session.StatSeries
}

// ReloadConfig re-reads the configuration file: [agents] and [sessions]
// apply to the next agent launch and idle check, nothing else does.
// Capabilities, [limits], [server] and [policy] keep the values corral
// started with (agent launches are checked against them too); each of
// those tables in which the file differs from them is named in
// restartNeeded, on every reload until corral restarts. A file that does
// not load changes nothing and fails with invalid_argument and the
// loader's message.
func (a *API) ReloadConfig(ctx context.Context, _ Empty) (session.ReloadResult, error) {
	if a.reload == nil {
		return session.ReloadResult{}, Errorf(CodeInternal, "reloading the configuration is not available in this build")
	}
	return a.reload()
}

// GetProcessStatsParams select resource series: one process, the
// processes of one session, or (both empty) every process; SinceMs (Unix
// milliseconds) keeps only later samples, so a poll fetches what is new.
type GetProcessStatsParams struct {
	ProcessID string `json:"processId,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
	SinceMs   int64  `json:"sinceMs,omitempty"`
}

// ProcessStatsResult holds the selected series.
type ProcessStatsResult struct {
	Series []session.StatSeries `json:"series"`
}

// GetProcessStats returns the CPU and memory samples corral keeps per
// process (the last StatSamplesPerProcess of each live process and of the
// last StatEndedProcesses ended ones). They are not events: the session
// log holds none.
func (a *API) GetProcessStats(ctx context.Context, p GetProcessStatsParams) (ProcessStatsResult, error) {
	ps, ok := a.sessions.(processStats)
	if !ok {
		return ProcessStatsResult{Series: []session.StatSeries{}}, nil
	}
	var since time.Time
	if p.SinceMs > 0 {
		since = time.UnixMilli(p.SinceMs)
	}
	return ProcessStatsResult{Series: ps.ProcessStats(p.ProcessID, p.SessionID, since)}, nil
}
