package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// accounting is a live session's usage and budget state (on the actor).
type accounting struct {
	caps budgetCaps
	// base is the spend without the running turn, read from the store when
	// a turn starts and moved on by each usage event.
	base budgetSpend
	day  int64 // the UTC day of base.Day
	// model is the model the agent last reported (init, usage progress).
	model string
	// progress is the running turn's latest usage.progress, nil when the
	// agent sent none.
	progress  *agent.UsageProgressData
	turnStart time.Time
	// level is the highest budget level already announced; cut says the
	// running turn was interrupted for the budget.
	level budgetLevel
	cut   bool
}

// turnUsage is what a turn's usage event adds to the store (pure). Tokens
// are the agent's report, unless the turn's last usage.progress counted
// more (an interrupted turn, whose report leaves out the call it cut):
// then the progress counts, its cost estimated. A cost the agent did not
// report is estimated from the price table (agent.EstimateCost); a model
// the table does not know leaves the turn unpriced.
func turnUsage(id, model string, d agent.UsageData, prog *agent.UsageProgressData, elapsed time.Duration) store.TurnUsage {
	u := store.TurnUsage{SessionID: id, Model: model, InputTokens: d.InputTokens, OutputTokens: d.OutputTokens,
		CacheReadTokens: d.CacheReadTokens, CacheWriteTokens: d.CacheWriteTokens, CostUSD: d.CostUSD, DurationMs: d.DurationMs}
	if u.DurationMs == 0 && elapsed > 0 {
		u.DurationMs = elapsed.Milliseconds()
	}
	if prog != nil && progressTokens(*prog) > u.Tokens() {
		u.InputTokens, u.OutputTokens = prog.InputTokens, prog.OutputTokens
		u.CacheReadTokens, u.CacheWriteTokens = prog.CacheReadTokens, prog.CacheWriteTokens
	}
	if u.Tokens() == 0 {
		return u
	}
	est, ok := agent.EstimateCost(model, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens)
	switch {
	case !ok && u.CostUSD == 0:
		u.Unpriced = true
	case ok && est > u.CostUSD && (u.CostUSD == 0 || u.Tokens() > reportedTokens(d)):
		u.EstimatedUSD = est - u.CostUSD
	}
	return u
}

func progressTokens(p agent.UsageProgressData) int64 {
	return p.InputTokens + p.OutputTokens + p.CacheReadTokens + p.CacheWriteTokens
}

func reportedTokens(d agent.UsageData) int64 {
	return d.InputTokens + d.OutputTokens + d.CacheReadTokens + d.CacheWriteTokens
}

// progressSpend is the running turn's spend as its progress shows it.
func progressSpend(model string, p *agent.UsageProgressData) store.Spend {
	if p == nil {
		return store.Spend{}
	}
	usd, _ := agent.EstimateCost(model, p.InputTokens, p.OutputTokens, p.CacheReadTokens, p.CacheWriteTokens)
	return store.Spend{Tokens: progressTokens(*p), USD: usd}
}

func addSpend(s budgetSpend, x store.Spend, sameDay bool) budgetSpend {
	s.Session.Tokens, s.Session.USD = s.Session.Tokens+x.Tokens, s.Session.USD+x.USD
	s.Project.Tokens, s.Project.USD = s.Project.Tokens+x.Tokens, s.Project.USD+x.USD
	if sameDay {
		s.Day.Tokens, s.Day.USD = s.Day.Tokens+x.Tokens, s.Day.USD+x.USD
	}
	return s
}

// loadBudget reads the caps and the spend so far from the configuration
// and the store (on the actor, when a turn is about to start).
func (m *Manager) loadBudget(l *live) error {
	own, err := m.o.Recorder.SessionBudget(l.id)
	if err != nil {
		return err
	}
	l.acct.caps = capsFor(m.settings.get().budget, own)
	now, prevDay := m.o.Now(), l.acct.day
	l.acct.day = store.DayOf(now)
	ctx := context.Background()
	var sp budgetSpend
	if sp.Session, err = m.o.Recorder.SpendOf(ctx, l.id, "", -1); err != nil {
		return err
	}
	if sp.Day, err = m.o.Recorder.SpendOf(ctx, "", "", l.acct.day); err != nil {
		return err
	}
	if sp.Project, err = m.o.Recorder.SpendOf(ctx, "", l.project(), -1); err != nil {
		return err
	}
	// The store may not have committed the last turn's usage yet (it is
	// queued): what the session counted itself is never forgotten.
	l.acct.base = atLeast(sp, l.acct.base, prevDay == l.acct.day)
	return nil
}

// budgetBlock refuses a turn when a cap is reached (ErrBudget), else
// readies the turn's accounting (on the actor, before beginTurn).
func (m *Manager) budgetBlock(l *live) error {
	if err := m.loadBudget(l); err != nil {
		m.log.Warn("cannot read the budget", "session", l.id, "err", err)
	}
	lv, n := decideBudget(l.acct.caps, l.acct.base)
	if lv < l.acct.level {
		l.acct.level = lv // a cap was raised: the next level reached is announced again
	}
	if lv == budgetReached {
		return budgetError(n)
	}
	l.acct.progress, l.acct.cut, l.acct.turnStart = nil, false, m.o.Now()
	return nil
}

// onUsageProgress checks the running turn's spend against the caps as it
// streams: at a cap, the turn is interrupted (on the actor).
func (m *Manager) onUsageProgress(l *live, d agent.UsageProgressData) {
	if d.Model != "" {
		l.acct.model = d.Model
	}
	l.acct.progress = &d
	run := progressSpend(m.turnModel(l), &d)
	m.checkBudget(l, addSpend(l.acct.base, run, store.DayOf(m.o.Now()) == l.acct.day), true)
}

// onUsage records a turn's usage and checks the caps with it (on the
// actor).
func (m *Manager) onUsage(l *live, d agent.UsageData) {
	var elapsed time.Duration
	if !l.acct.turnStart.IsZero() {
		elapsed = m.o.Now().Sub(l.acct.turnStart)
	}
	u := turnUsage(l.id, m.turnModel(l), d, l.acct.progress, elapsed)
	u.At, u.Project = m.o.Now(), l.project()
	l.acct.progress = nil
	m.record("add usage", l.id, m.o.Recorder.QueueAddTurnUsage(u))
	l.acct.base = addSpend(l.acct.base, store.Spend{Tokens: u.Tokens(), USD: u.CostUSD + u.EstimatedUSD}, store.DayOf(u.At) == l.acct.day)
	m.checkBudget(l, l.acct.base, false)
}

// turnModel is the model a turn's tokens are priced and grouped by: the
// one the agent reported, else the session's.
func (m *Manager) turnModel(l *live) string {
	if l.acct.model != "" {
		return l.acct.model
	}
	return l.opts.Model
}

// checkBudget announces a level newly reached and, at a cap, interrupts
// the running turn when cut is set (on the actor).
func (m *Manager) checkBudget(l *live, sp budgetSpend, cut bool) {
	lv, n := decideBudget(l.acct.caps, sp)
	if lv <= l.acct.level {
		return
	}
	l.acct.level = lv
	if lv == budgetReached && cut && l.turn != "" && l.conn != nil && !l.acct.cut {
		l.acct.cut = true
		n.Interrupted = m.interruptForBudget(l) == nil
	}
	ev := event.New(event.BudgetNotice, n)
	ev.SessionID, ev.RunID, ev.Time = l.id, l.turn, m.o.Now()
	m.append(ev)
}

// interruptForBudget interrupts the running turn as Interrupt does.
func (m *Manager) interruptForBudget(l *live) error {
	l.interrupting = true
	err := l.conn.Interrupt()
	if errors.Is(err, agent.ErrSignalRequired) {
		err = l.proc.Signal(os.Interrupt)
	}
	if err != nil {
		l.interrupting = false
		m.log.Warn("cannot interrupt a turn over budget", "session", l.id, "err", err)
	}
	return err
}

// SetBudget sets a session's own caps (nil fields: the configured ones)
// and lets the next level reached be announced again.
func (m *Manager) SetBudget(ctx context.Context, id string, b store.Budget) error {
	ctx = context.WithoutCancel(ctx)
	if (b.USD != nil && *b.USD < 0) || (b.Tokens != nil && *b.Tokens < 0) {
		return fmt.Errorf("%w: a budget must not be negative", ErrInvalid)
	}
	if _, err := m.o.Recorder.GetSession(id); err != nil {
		return fmt.Errorf("%w: session %s", ErrNotFound, id)
	}
	if err := m.o.Recorder.SetSessionBudget(ctx, id, b); err != nil {
		return err
	}
	m.mu.Lock()
	l := m.live[id]
	m.mu.Unlock()
	if l == nil {
		return nil
	}
	return do(m, l, func() error {
		l.acct.level = budgetOK
		if err := m.loadBudget(l); err != nil {
			return err
		}
		if l.turn != "" {
			m.checkBudget(l, addSpend(l.acct.base, progressSpend(m.turnModel(l), l.acct.progress), true), true)
		}
		return nil
	})
}

// project is what the session's usage counts under: the repository of a
// session in a worktree, else the project of its directory (the rule of
// Info.Project).
func (l *live) project() string {
	if l.ws != nil {
		return l.ws.Repo
	}
	return projectOf(l.opts.Cwd)
}
