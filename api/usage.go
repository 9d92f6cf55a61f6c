package api

import (
	"context"
	"errors"
	"time"

	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// CodeBudgetReached is the code of a turn refused because a budget cap is
// used up (session.ErrBudget); HTTP 402. Raising the cap (SetBudget, or
// the [budget] table of the configuration) lets turns run again.
const CodeBudgetReached = "budget_reached"

// UsageSource answers GetUsage (*store.Store implements it).
type UsageSource interface {
	Usage(ctx context.Context, q store.UsageQuery) (store.UsageReport, error)
	SessionBudget(sessionID string) (store.Budget, error)
}

// Budgets sets a session's own budget (*session.Manager implements it).
type Budgets interface {
	SetBudget(ctx context.Context, sessionID string, b store.Budget) error
}

// WithUsage enables GetUsage; without it GetUsage fails with code
// internal ("not available").
func WithUsage(u UsageSource) Option { return func(a *API) { a.usage = u } }

// BudgetParams is a budget: caps in US dollars and in tokens (input,
// output and cache together). An absent field is no cap of the session's
// own: the configured [budget] session cap applies.
type BudgetParams struct {
	USD    *float64 `json:"usd,omitempty"`
	Tokens *int64   `json:"tokens,omitempty"`
}

func (b *BudgetParams) store() *store.Budget {
	if b == nil {
		return nil
	}
	return &store.Budget{USD: b.USD, Tokens: b.Tokens}
}

// GetUsageParams select the usage GetUsage reports: the UTC days from..to
// (dates "2006-01-02" or RFC 3339 times; absent: open), grouped by
// groupBy, and optionally one session only.
type GetUsageParams struct {
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	GroupBy   string `json:"groupBy"` // "day" | "agent" | "model" | "project"
	SessionID string `json:"sessionId,omitempty"`
	// Top is how many sessions of highest cost to list (default 10, at most 100).
	Top int `json:"top,omitempty"`
}

// GetUsageResult are the groups in key order (days ascending), the top
// sessions, and with sessionId that session's own budget.
type GetUsageResult struct {
	Rows       []store.UsageRow     `json:"rows"`
	Top        []store.UsageSession `json:"top"`
	Budget     *BudgetParams        `json:"budget,omitempty"`
	PriceTable string               `json:"priceTable"` // the version of the price table estimates come from
	// RateLimits are the rate-limit windows the agents last reported
	// (latest per agent, account and window; see RateWindowSource);
	// an agent that never reported any has none here.
	RateLimits []store.RateWindow `json:"rateLimits"`
}

// RateWindowSource gives the rate-limit windows the agents last reported
// (*store.Store implements it). A UsageSource without it reports none.
type RateWindowSource interface {
	RateWindows(ctx context.Context) ([]store.RateWindow, error)
}

// parseDay reads a GetUsage bound.
func parseDay(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, Errorf(CodeInvalidArgument, "%s %q is neither a date (2006-01-02) nor an RFC 3339 time", name, v)
	}
	return t.UTC(), nil
}

// GetUsage reports tokens, cost (reported or estimated), turns and
// sessions per day, agent, model or project, from the daily rollup.
func (a *API) GetUsage(ctx context.Context, p GetUsageParams) (GetUsageResult, error) {
	if a.usage == nil {
		return GetUsageResult{}, Errorf(CodeInternal, "usage is not available in this build")
	}
	from, err := parseDay("from", p.From)
	if err != nil {
		return GetUsageResult{}, err
	}
	to, err := parseDay("to", p.To)
	if err != nil {
		return GetUsageResult{}, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return GetUsageResult{}, Errorf(CodeInvalidArgument, "to is before from")
	}
	top := p.Top
	switch {
	case top == 0:
		top = 10
	case top < 0 || top > 100:
		return GetUsageResult{}, Errorf(CodeInvalidArgument, "top must be between 1 and 100")
	}
	rep, err := a.usage.Usage(ctx, store.UsageQuery{From: from, To: to, GroupBy: p.GroupBy, SessionID: p.SessionID, Top: top})
	if errors.Is(err, store.ErrBadGroup) {
		return GetUsageResult{}, Errorf(CodeInvalidArgument, "%s", err.Error())
	}
	if err != nil {
		return GetUsageResult{}, err
	}
	res := GetUsageResult{Rows: orEmpty(rep.Rows), Top: orEmpty(rep.Top), PriceTable: session.PriceTableVersion, RateLimits: []store.RateWindow{}}
	if rw, ok := a.usage.(RateWindowSource); ok {
		if res.RateLimits, err = rw.RateWindows(ctx); err != nil {
			return res, err
		}
	}
	if p.SessionID != "" {
		b, err := a.usage.SessionBudget(p.SessionID)
		if err != nil {
			return res, err
		}
		res.Budget = &BudgetParams{USD: b.USD, Tokens: b.Tokens}
	}
	return res, nil
}

// SetBudgetParams set a session's own caps; an absent field removes that
// cap of the session's own (the configured one applies again).
type SetBudgetParams struct {
	SessionID string   `json:"sessionId"`
	USD       *float64 `json:"usd,omitempty"`
	Tokens    *int64   `json:"tokens,omitempty"`
}

// SetBudget sets a session's own budget. Raising a cap that was reached
// lets the session run turns again; at 80 % of the new cap a notice is
// sent again.
func (a *API) SetBudget(ctx context.Context, p SetBudgetParams) (Empty, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return Empty{}, err
	}
	b, ok := a.sessions.(Budgets)
	if !ok {
		return Empty{}, Errorf(CodeInternal, "budgets are not available in this build")
	}
	return Empty{}, b.SetBudget(ctx, p.SessionID, store.Budget{USD: p.USD, Tokens: p.Tokens})
}

// budgetCode maps session.ErrBudget (see AsError).
func budgetCode(err error) string {
	if errors.Is(err, session.ErrBudget) {
		return CodeBudgetReached
	}
	return ""
}
