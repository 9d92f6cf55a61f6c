package session

import (
	"errors"
	"fmt"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/store"
)

// ErrBudget is returned for a turn refused because a budget cap is
// reached (API code budget_reached, HTTP 402); it stays so until the cap
// is raised (SetBudget, or the [budget] table of the configuration).
var ErrBudget = errors.New("session: budget reached")

// PriceTableVersion is the version of the price table estimated costs
// come from (agent.PriceTableVersion).
const PriceTableVersion = agent.PriceTableVersion

// BudgetWarnFraction is the share of a cap at which a notice is sent.
const BudgetWarnFraction = 0.8

// budgetLevel orders what a spend means against a cap.
type budgetLevel int

const (
	budgetOK budgetLevel = iota
	budgetWarn
	budgetReached
)

func (l budgetLevel) String() string {
	return [...]string{"ok", "warning", "reached"}[l]
}

// budgetCap is one cap: a nil field is no cap.
type budgetCap struct {
	USD    *float64
	Tokens *int64
}

// budgetCaps are the caps that apply to one session's turn.
type budgetCaps struct {
	Session, Day, Project budgetCap
}

// budgetSpend is what the session, the day (all sessions) and the
// session's project (all its sessions, all days) have used, the running
// turn included.
type budgetSpend struct {
	Session, Day, Project store.Spend
}

// atLeast is the spend read from the store, raised field by field to what
// the session counted in memory (known); the day's figure only when known
// counts the same day (sameDay).
func atLeast(read, known budgetSpend, sameDay bool) budgetSpend {
	max := func(a, b store.Spend) store.Spend {
		if b.Tokens > a.Tokens {
			a.Tokens = b.Tokens
		}
		if b.USD > a.USD {
			a.USD = b.USD
		}
		return a
	}
	read.Session, read.Project = max(read.Session, known.Session), max(read.Project, known.Project)
	if sameDay {
		read.Day = max(read.Day, known.Day)
	}
	return read
}

// BudgetNotice is the Data of event.BudgetNotice and what decideBudget
// reports: the cap most used (the first of session, day, project, and of
// dollars before tokens, among equals).
type BudgetNotice struct {
	Level    string  `json:"level"` // "warning" (80 %) | "reached" (100 %)
	Scope    string  `json:"scope"` // "session" | "day" | "project"
	Unit     string  `json:"unit"`  // "usd" | "tokens"
	Used     float64 `json:"used"`
	Cap      float64 `json:"cap"`
	Fraction float64 `json:"fraction"` // Used / Cap
	// Interrupted: the running turn was interrupted because of it.
	Interrupted bool `json:"interrupted,omitempty"`
}

// decideBudget says where spend stands against caps: the highest level
// of any cap, with that cap's figures. A cap of 0 is reached by any spend
// (and by none: a session capped at 0 may not start a turn).
func decideBudget(caps budgetCaps, spend budgetSpend) (budgetLevel, BudgetNotice) {
	best, bestLevel := BudgetNotice{}, budgetOK
	scopes := []struct {
		name string
		cap  budgetCap
		sp   store.Spend
	}{{"session", caps.Session, spend.Session}, {"day", caps.Day, spend.Day}, {"project", caps.Project, spend.Project}}
	for _, s := range scopes {
		try := func(unit string, used, limit float64) {
			lv, frac := budgetOK, 1.0
			if limit > 0 {
				frac = used / limit
			}
			switch {
			case used >= limit:
				lv = budgetReached
			case frac >= BudgetWarnFraction:
				lv = budgetWarn
			}
			if lv > bestLevel || (lv == bestLevel && lv != budgetOK && frac > best.Fraction) {
				best, bestLevel = BudgetNotice{Level: lv.String(), Scope: s.name, Unit: unit, Used: used, Cap: limit, Fraction: frac}, lv
			}
		}
		if s.cap.USD != nil {
			try("usd", s.sp.USD, *s.cap.USD)
		}
		if s.cap.Tokens != nil {
			try("tokens", float64(s.sp.Tokens), float64(*s.cap.Tokens))
		}
	}
	return bestLevel, best
}

// capsFor combines the configured caps with a session's own budget: each
// field the session sets replaces the configured per-session cap.
func capsFor(cfg config.Budget, own store.Budget) budgetCaps {
	c := budgetCaps{
		Session: budgetCap{USD: cfg.SessionUSD, Tokens: cfg.SessionTokens},
		Day:     budgetCap{USD: cfg.DayUSD, Tokens: cfg.DayTokens},
		Project: budgetCap{USD: cfg.ProjectUSD, Tokens: cfg.ProjectTokens},
	}
	if own.USD != nil {
		c.Session.USD = own.USD
	}
	if own.Tokens != nil {
		c.Session.Tokens = own.Tokens
	}
	return c
}

// budgetError is the error of a refused turn.
func budgetError(n BudgetNotice) error {
	unit := "$"
	if n.Unit == "tokens" {
		return fmt.Errorf("%w: the %s cap of %.0f tokens is used (%.0f); raise it to continue", ErrBudget, n.Scope, n.Cap, n.Used)
	}
	return fmt.Errorf("%w: the %s cap of %s%.4g is used (%s%.4g); raise it to continue", ErrBudget, n.Scope, unit, n.Cap, unit, n.Used)
}
