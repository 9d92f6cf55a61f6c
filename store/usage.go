package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// TurnUsage is what one finished turn of a session used. The store adds it
// to the session's totals (as AddUsage: tokens and the reported cost) and
// to the daily rollup (usage_daily) under its day, session and model, and
// to the distinct-session counts of its day, agent, model and project
// (usage_groups.go), in one transaction; the rollups' agent and project
// are the session's.
type TurnUsage struct {
	SessionID                                                    string
	Model                                                        string    // the model the agent reported, else the session's
	At                                                           time.Time // the turn's end; zero: the commit time
	InputTokens, OutputTokens, CacheReadTokens, CacheWriteTokens int64
	// CostUSD is the cost the agent reported; EstimatedUSD the cost
	// estimated from the price table when it reported none. Unpriced: it
	// reported none and the model has no price, so the turn's cost is
	// unknown (counted, not guessed).
	CostUSD, EstimatedUSD float64
	Unpriced              bool
	DurationMs            int64
	// Project is what the rollups group the turn under ("": the
	// session's directory): the session layer gives the repository of a
	// session in a worktree, so that all its sessions count together.
	Project string
}

// Tokens is the turn's total token count (input, output and cache).
func (u TurnUsage) Tokens() int64 {
	return u.InputTokens + u.OutputTokens + u.CacheReadTokens + u.CacheWriteTokens
}

// DayOf is the rollup's day number of t: UTC days since 1970-01-01.
func DayOf(t time.Time) int64 { return t.Unix() / 86400 }

// dayTime is the start of rollup day d (UTC).
func dayTime(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

// QueueAddTurnUsage queues the write of one turn's usage (see TurnUsage).
func (s *Store) QueueAddTurnUsage(u TurnUsage) error {
	return s.queueJob("add usage", true, addTurnUsageJob(u))
}

// AddTurnUsage is QueueAddTurnUsage waiting for the commit.
func (s *Store) AddTurnUsage(ctx context.Context, u TurnUsage) error {
	return s.write(ctx, "add usage", addTurnUsageJob(u))
}

func addTurnUsageJob(u TurnUsage) func(t *wtx) error {
	totals := addUsageJob(u.SessionID, Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		CacheReadTokens: u.CacheReadTokens, CacheWriteTokens: u.CacheWriteTokens, CostUSD: u.CostUSD})
	return func(t *wtx) error {
		if err := totals(t); err != nil {
			return err
		}
		at := u.At
		if at.IsZero() {
			at = t.now
		}
		unpriced := 0
		if u.Unpriced {
			unpriced = 1
		}
		day := DayOf(at)
		var seen int
		if err := t.tx.QueryRowContext(t.ctx, "SELECT count(*) FROM (SELECT 1 FROM usage_sessions WHERE session_id=? AND day=? LIMIT 1)",
			u.SessionID, day).Scan(&seen); err != nil {
			return err
		}
		if err := addTurnGroups(t, u, day); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(t.ctx, `
INSERT INTO usage_days(day, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, estimated_usd,
	unpriced_turns, turns, duration_ms, sessions) VALUES(?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT(day) DO UPDATE SET sessions=sessions+excluded.sessions, `+usageUpsert,
			day, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens, u.CostUSD+u.EstimatedUSD, u.EstimatedUSD,
			unpriced, u.DurationMs, 1-seen); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(t.ctx, `
INSERT INTO usage_session_totals(session_id, cost_usd, tokens, first_day, last_day) VALUES(?, ?, ?, ?, ?)
ON CONFLICT(session_id) DO UPDATE SET cost_usd=cost_usd+excluded.cost_usd, tokens=tokens+excluded.tokens,
	first_day=min(first_day, excluded.first_day), last_day=max(last_day, excluded.last_day)`,
			u.SessionID, u.CostUSD+u.EstimatedUSD, u.Tokens(), day, day); err != nil {
			return err
		}
		args := []any{day, u.Model, u.Project, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens,
			u.CostUSD + u.EstimatedUSD, u.EstimatedUSD, unpriced, u.DurationMs, u.SessionID}
		month := monthOf(day)
		if _, err := t.tx.ExecContext(t.ctx, `
INSERT INTO usage_monthly(month, model, agent, project, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, cost_usd, estimated_usd, unpriced_turns, turns, duration_ms)
SELECT ?, ?, agent, coalesce(nullif(?, ''), cwd), ?, ?, ?, ?, ?, ?, ?, 1, ? FROM sessions WHERE id=?
ON CONFLICT(month, agent, model, project) DO UPDATE SET `+usageUpsert, append([]any{month}, args[1:]...)...); err != nil {
			return err
		}
		for _, q := range []string{`
INSERT INTO usage_daily(day, model, agent, project, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, cost_usd, estimated_usd, unpriced_turns, turns, duration_ms)
SELECT ?, ?, agent, coalesce(nullif(?, ''), cwd), ?, ?, ?, ?, ?, ?, ?, 1, ? FROM sessions WHERE id=?
ON CONFLICT(day, agent, model, project) DO UPDATE SET ` + usageUpsert, `
INSERT INTO usage_sessions(day, model, agent, project, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, cost_usd, estimated_usd, unpriced_turns, turns, duration_ms, session_id)
SELECT ?, ?, agent, coalesce(nullif(?, ''), cwd), ?, ?, ?, ?, ?, ?, ?, 1, ?, id FROM sessions WHERE id=?
ON CONFLICT(session_id, day, model) DO UPDATE SET ` + usageUpsert} {
			if _, err := t.tx.ExecContext(t.ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	}
}

const usageUpsert = `input_tokens=input_tokens+excluded.input_tokens, output_tokens=output_tokens+excluded.output_tokens,
	cache_read_tokens=cache_read_tokens+excluded.cache_read_tokens,
	cache_write_tokens=cache_write_tokens+excluded.cache_write_tokens,
	cost_usd=cost_usd+excluded.cost_usd, estimated_usd=estimated_usd+excluded.estimated_usd,
	unpriced_turns=unpriced_turns+excluded.unpriced_turns, turns=turns+1,
	duration_ms=duration_ms+excluded.duration_ms`

// UsageQuery selects rollup rows: days From..To inclusive (zero: open),
// grouped by GroupBy, with the Top sessions by cost.
type UsageQuery struct {
	From, To  time.Time
	GroupBy   string // "day" | "agent" | "model" | "project"
	SessionID string // only this session ("": all)
	Top       int    // how many top sessions (0: none)
}

// UsageRow is one group of the rollup.
type UsageRow struct {
	Key              string  `json:"key"`
	InputTokens      int64   `json:"inputTokens"`
	OutputTokens     int64   `json:"outputTokens"`
	CacheReadTokens  int64   `json:"cacheReadTokens"`
	CacheWriteTokens int64   `json:"cacheWriteTokens"`
	CostUSD          float64 `json:"costUsd"`
	// Estimated: part of CostUSD comes from the price table (EstimatedUSD)
	// or some turns had no price at all (UnpricedTurns).
	Estimated     bool    `json:"estimated"`
	EstimatedUSD  float64 `json:"estimatedUsd,omitempty"`
	UnpricedTurns int64   `json:"unpricedTurns,omitempty"`
	Turns         int64   `json:"turns"`
	Sessions      int64   `json:"sessions"`
	DurationMs    int64   `json:"durationMs"`
}

// UsageSession is one of the top sessions: its totals over the range.
type UsageSession struct {
	UsageRow
	SessionID string `json:"sessionId"`
	Title     string `json:"title,omitempty"`
	Agent     string `json:"agent"`
	Project   string `json:"project"`
}

// UsageReport is the answer of Usage.
type UsageReport struct {
	Rows []UsageRow     `json:"rows"`
	Top  []UsageSession `json:"top,omitempty"`
}

// ErrBadGroup is returned for a GroupBy Usage does not know.
var ErrBadGroup = errors.New(`store: groupBy must be "day", "agent", "model" or "project"`)

const usageSums = `sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
	sum(cost_usd), sum(estimated_usd), sum(unpriced_turns), sum(turns), sum(duration_ms)`

func scanUsageRow(r scanner, key any, x *UsageRow, withSessions bool) error {
	dest := []any{key, &x.InputTokens, &x.OutputTokens, &x.CacheReadTokens, &x.CacheWriteTokens, &x.CostUSD,
		&x.EstimatedUSD, &x.UnpricedTurns, &x.Turns, &x.DurationMs}
	if withSessions {
		dest = append(dest[:9], &x.Sessions, &x.DurationMs)
	}
	err := r.Scan(dest...)
	x.Estimated = x.EstimatedUSD > 0 || x.UnpricedTurns > 0
	return err
}

// usageWhere is the WHERE clause of q and its arguments.
func usageWhere(q UsageQuery) (string, []any) {
	var conds []string
	var args []any
	if !q.From.IsZero() {
		conds, args = append(conds, "day >= ?"), append(args, DayOf(q.From))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "day <= ?"), append(args, DayOf(q.To))
	}
	if q.SessionID != "" {
		conds, args = append(conds, "session_id = ?"), append(args, q.SessionID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Usage reads the rollups: one row per group, in key order (days
// ascending), and the q.Top sessions of highest cost (then tokens). A
// row's Sessions are the distinct sessions with a turn in the group in
// the range: a session that used two models there counts under both.
func (s *Store) Usage(ctx context.Context, q UsageQuery) (UsageReport, error) {
	col := map[string]string{"day": "day", "agent": "agent", "model": "model", "project": "project"}[q.GroupBy]
	if col == "" {
		return UsageReport{}, fmt.Errorf("%w: %q", ErrBadGroup, q.GroupBy)
	}
	where, args := usageWhere(q)
	table, sums := "usage_daily", usageSums
	switch {
	case q.SessionID != "":
		table = "usage_sessions"
	case q.GroupBy == "day":
		// One row per day, its distinct sessions counted as turns came.
		table, sums = "usage_days", strings.Replace(usageSums, "sum(turns)", "sum(turns), sum(sessions)", 1)
	}
	query := "SELECT " + col + ", " + sums + " FROM " + table + where + " GROUP BY " + col + " ORDER BY " + col
	if table == "usage_daily" {
		query, args = monthlyQuery(col, q)
	}
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return UsageReport{}, err
	}
	defer rows.Close()
	rep := UsageReport{Rows: []UsageRow{}}
	index := map[string]int{}
	for rows.Next() {
		var x UsageRow
		var key any
		if err := scanUsageRow(rows, &key, &x, table == "usage_days"); err != nil {
			return rep, err
		}
		x.Key = usageKey(q.GroupBy, key)
		index[x.Key] = len(rep.Rows)
		rep.Rows = append(rep.Rows, x)
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	rows.Close()
	switch table {
	case "usage_sessions":
		// One session: it is in every group it has a row in.
		for i := range rep.Rows {
			rep.Rows[i].Sessions = 1
		}
	case "usage_daily":
		from, to := usageDays(q)
		if err := s.groupSessionCounts(ctx, q.GroupBy, from, to, rep.Rows, index); err != nil {
			return rep, err
		}
	}
	if q.Top > 0 {
		rep.Top, err = s.topSessions(ctx, q, q.Top)
	}
	return rep, err
}

// monthOf is the usage_monthly month of rollup day d.
func monthOf(d int64) int64 {
	t := dayTime(d)
	return int64(t.Year())*12 + int64(t.Month()) - 1
}

// monthStart is the first rollup day of month m.
func monthStart(m int64) int64 {
	return DayOf(time.Date(int(m/12), time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC))
}

// usageSpan splits days from..to into the whole months m1..m2 and the
// days before (from..headTo) and after (tailFrom..to) them; m1 > m2: no
// whole month, every day is in the head.
func usageSpan(from, to int64) (headTo, m1, m2, tailFrom int64) {
	m1, m2 = monthOf(from), monthOf(to)
	if monthStart(m1) != from {
		m1++
	}
	if monthStart(m2+1)-1 != to {
		m2--
	}
	if m1 > m2 {
		return to, m1, m2, to + 1
	}
	return monthStart(m1) - 1, m1, m2, monthStart(m2 + 1)
}

// usageDays are the first and last rollup days of q's range; an open
// end is 1970-01-01 or 9999-12-31.
func usageDays(q UsageQuery) (from, to int64) {
	from, to = DayOf(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)), DayOf(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))
	if !q.From.IsZero() {
		from = DayOf(q.From)
	}
	if !q.To.IsZero() {
		to = DayOf(q.To)
	}
	return from, to
}

// monthlyQuery groups usage_monthly's whole months of q's range with
// usage_daily's days at its ends.
func monthlyQuery(col string, q UsageQuery) (string, []any) {
	from, to := usageDays(q)
	headTo, m1, m2, tailFrom := usageSpan(from, to)
	cols := col + ", input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, estimated_usd, unpriced_turns, turns, duration_ms"
	return "SELECT " + col + ", " + usageSums + " FROM (SELECT " + cols + " FROM usage_daily WHERE (day >= ? AND day <= ?) OR (day >= ? AND day <= ?)" +
			" UNION ALL SELECT " + cols + " FROM usage_monthly WHERE month >= ? AND month <= ?) GROUP BY " + col + " ORDER BY " + col,
		[]any{from, headTo, tailFrom, to, m1, m2}
}

// countSessions fills the Sessions of rows from query (key, count).
func (s *Store) countSessions(ctx context.Context, query string, args []any, group string, rows []UsageRow, index map[string]int) error {
	rs, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var key any
		var n int64
		if err := rs.Scan(&key, &n); err != nil {
			return err
		}
		if i, ok := index[usageKey(group, key)]; ok {
			rows[i].Sessions = n
		}
	}
	return rs.Err()
}

func usageKey(group string, key any) string {
	switch k := key.(type) {
	case int64:
		if group == "day" {
			return dayTime(k).Format("2006-01-02")
		}
		return fmt.Sprint(k)
	case string:
		return k
	case []byte:
		return string(k)
	}
	return fmt.Sprint(key)
}

// topSessions finds the n sessions of highest cost (then tokens) in the
// range of q without summing every session: it walks the sessions by
// their all-time cost (usage_session_totals), sums the range of each
// (usage_sessions) and stops once a session's all-time figures cannot
// beat the n-th best range figures, since a session's range figures are
// never above its all-time ones.
func (s *Store) topSessions(ctx context.Context, q UsageQuery, n int) ([]UsageSession, error) {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !q.From.IsZero() {
		from = DayOf(q.From)
	}
	if !q.To.IsZero() {
		to = DayOf(q.To)
	}
	cond, args := "last_day >= ? AND first_day <= ?", []any{from, to}
	if q.SessionID != "" {
		cond, args = cond+" AND session_id = ?", append(args, q.SessionID)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT session_id, cost_usd, tokens FROM usage_session_totals WHERE "+cond+
		" ORDER BY cost_usd DESC, tokens DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	best := []UsageSession{}
	for rows.Next() {
		var id string
		var cost float64
		var tokens int64
		if err := rows.Scan(&id, &cost, &tokens); err != nil {
			return best, err
		}
		if len(best) == n {
			last := best[n-1]
			if cost < last.CostUSD || (cost == last.CostUSD && tokens <= usageTokens(last.UsageRow)) {
				break
			}
		}
		x, err := s.sessionInRange(ctx, id, from, to)
		if err != nil {
			return best, err
		}
		if x.Turns == 0 && x.CostUSD == 0 && usageTokens(x.UsageRow) == 0 {
			continue
		}
		best = append(best, x)
		sort.SliceStable(best, func(i, j int) bool {
			if best[i].CostUSD != best[j].CostUSD {
				return best[i].CostUSD > best[j].CostUSD
			}
			return usageTokens(best[i].UsageRow) > usageTokens(best[j].UsageRow)
		})
		if len(best) > n {
			best = best[:n]
		}
	}
	return best, rows.Err()
}

func usageTokens(x UsageRow) int64 {
	return x.InputTokens + x.OutputTokens + x.CacheReadTokens + x.CacheWriteTokens
}

// sessionInRange is one session's figures on days from..to.
func (s *Store) sessionInRange(ctx context.Context, id string, from, to int64) (UsageSession, error) {
	x := UsageSession{SessionID: id}
	var agent, project sql.NullString
	err := s.rdb.QueryRowContext(ctx, `SELECT `+usageSums+`, max(agent), max(project), (SELECT title FROM sessions WHERE id = ?)
	FROM usage_sessions WHERE session_id = ? AND day >= ? AND day <= ?`, id, id, from, to).
		Scan(nullInt{&x.InputTokens}, nullInt{&x.OutputTokens}, nullInt{&x.CacheReadTokens}, nullInt{&x.CacheWriteTokens},
			nullFloat{&x.CostUSD}, nullFloat{&x.EstimatedUSD}, nullInt{&x.UnpricedTurns}, nullInt{&x.Turns}, nullInt{&x.DurationMs},
			&agent, &project, nullString{&x.Title})
	x.Agent, x.Project = agent.String, project.String
	x.Key, x.Sessions, x.Estimated = id, 1, x.EstimatedUSD > 0 || x.UnpricedTurns > 0
	return x, err
}

// nullInt, nullFloat and nullString scan a NULL (an empty sum) as zero.
type nullInt struct{ p *int64 }

func (n nullInt) Scan(v any) error {
	var x sql.NullInt64
	err := x.Scan(v)
	*n.p = x.Int64
	return err
}

type nullFloat struct{ p *float64 }

func (n nullFloat) Scan(v any) error {
	var x sql.NullFloat64
	err := x.Scan(v)
	*n.p = x.Float64
	return err
}

type nullString struct{ p *string }

func (n nullString) Scan(v any) error {
	var x sql.NullString
	err := x.Scan(v)
	*n.p = x.String
	return err
}

// Spend is an amount used: tokens (all kinds) and dollars (reported plus
// estimated).
type Spend struct {
	Tokens int64
	USD    float64
}

// SpendOf sums the rollup for one session (session != ""), one project
// (project != "") or all sessions, on day (day >= 0) or over all days.
func (s *Store) SpendOf(ctx context.Context, session, project string, day int64) (Spend, error) {
	table := "usage_daily"
	var conds []string
	var args []any
	if session != "" {
		table, conds, args = "usage_sessions", append(conds, "session_id = ?"), append(args, session)
	}
	if project != "" {
		conds, args = append(conds, "project = ?"), append(args, project)
	}
	if day >= 0 {
		conds, args = append(conds, "day = ?"), append(args, day)
		if session == "" && project == "" {
			table = "usage_days"
		}
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	var sp Spend
	err := s.rdb.QueryRowContext(ctx, "SELECT ifnull(sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), 0), ifnull(sum(cost_usd), 0) FROM "+table+where, args...).
		Scan(&sp.Tokens, &sp.USD)
	return sp, err
}

// Budget is a cap on spend; a nil field is no cap.
type Budget struct {
	USD    *float64 `json:"usd,omitempty"`
	Tokens *int64   `json:"tokens,omitempty"`
}

// SetSessionBudget stores (or, with both fields nil, removes) a session's
// own budget.
func (s *Store) SetSessionBudget(ctx context.Context, session string, b Budget) error {
	return s.write(ctx, "set budget", func(t *wtx) error {
		if b.USD == nil && b.Tokens == nil {
			_, err := t.tx.ExecContext(t.ctx, "DELETE FROM session_budgets WHERE session_id=?", session)
			return err
		}
		_, err := t.tx.ExecContext(t.ctx, "INSERT OR REPLACE INTO session_budgets(session_id, usd, tokens) VALUES(?,?,?)",
			session, b.USD, b.Tokens)
		return err
	})
}

// SessionBudget returns a session's own budget (none: both fields nil).
func (s *Store) SessionBudget(session string) (Budget, error) {
	var usd sql.NullFloat64
	var tokens sql.NullInt64
	err := s.rdb.QueryRow("SELECT usd, tokens FROM session_budgets WHERE session_id=?", session).Scan(&usd, &tokens)
	if errors.Is(err, sql.ErrNoRows) {
		return Budget{}, nil
	}
	var b Budget
	if usd.Valid {
		b.USD = &usd.Float64
	}
	if tokens.Valid {
		b.Tokens = &tokens.Int64
	}
	return b, err
}
