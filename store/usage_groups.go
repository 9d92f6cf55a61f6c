package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
)

// usageGroupKinds are the groupings whose distinct sessions come from the
// group tables (usage_groups_schema.go explains them); the day grouping
// counts its sessions in usage_days.
var usageGroupKinds = []string{"agent", "model", "project"}

// usageIsEntry reports whether a session's active day d in a group, its
// previous active day there being prev (usageNoPrev: none), is an entry:
// a first day, or one after at least a day without a turn in the group.
func usageIsEntry(prev, d int64) bool { return prev < d-1 }

// addGroupDays records, for each grouping, that session id had a turn on
// day in the group of that turn (keys: kind -> agent, model, project):
// nothing when the session already had one there that day; else the
// day's sessions grow by one and the entries of the session in the group
// are set right: the day is an entry unless the day before was active,
// and the next active day (a turn recorded out of order) may stop or
// start being one.
func addGroupDays(t *wtx, id string, day int64, keys map[string]string) error {
	for _, kind := range usageGroupKinds {
		key := keys[kind]
		res, err := t.tx.ExecContext(t.ctx, "INSERT INTO usage_group_sessions(session_id, kind, key, day) VALUES(?, ?, ?, ?) ON CONFLICT DO NOTHING",
			id, kind, key, day)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			continue // active there that day already
		}
		prev, err := adjacentDay(t, "SELECT day FROM usage_group_sessions WHERE session_id=? AND kind=? AND key=? AND day<? ORDER BY day DESC LIMIT 1",
			id, kind, key, day)
		if err != nil {
			return err
		}
		next, err := adjacentDay(t, "SELECT day FROM usage_group_sessions WHERE session_id=? AND kind=? AND key=? AND day>? ORDER BY day LIMIT 1",
			id, kind, key, day)
		if err != nil {
			return err
		}
		if prev == usageNone {
			prev = usageNoPrev
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO usage_group_days(kind, day, key, sessions) VALUES(?, ?, ?, 1)
ON CONFLICT(kind, day, key) DO UPDATE SET sessions=sessions+1`, kind, day, key); err != nil {
			return err
		}
		for _, e := range usageEntryChanges(prev, day, next) {
			if err := addEntry(t, kind, key, e.day, e.prev, e.delta); err != nil {
				return err
			}
		}
	}
	return nil
}

// addTurnGroups records turn u on day in the group tables, under its
// session's agent, its model and its project, as usage_daily groups it
// (no session stored: no rollup row is written for the turn, nor here).
func addTurnGroups(t *wtx, u TurnUsage, day int64) error {
	var agent, project string
	err := t.tx.QueryRowContext(t.ctx, "SELECT agent, coalesce(nullif(?, ''), cwd) FROM sessions WHERE id=?", u.Project, u.SessionID).
		Scan(&agent, &project)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return addGroupDays(t, u.SessionID, day, map[string]string{"agent": agent, "model": u.Model, "project": project})
}

// usageEntry is a change of the entries: the entry (day, prev) added
// (delta 1) or removed (delta -1).
type usageEntry struct {
	day, prev, delta int64
}

// usageEntryChanges are the changes of a session's entries in a group
// when day becomes active between its active days prev and next (prev
// usageNoPrev: none before; next usageNone: none after): the entry of
// next, if it was one, now has day before it; day is an entry after prev.
func usageEntryChanges(prev, day, next int64) []usageEntry {
	var out []usageEntry
	if next != usageNone && usageIsEntry(prev, next) {
		out = append(out, usageEntry{next, prev, -1})
	}
	if usageIsEntry(prev, day) {
		out = append(out, usageEntry{day, prev, 1})
	}
	if next != usageNone && usageIsEntry(day, next) {
		out = append(out, usageEntry{next, day, 1})
	}
	return out
}

// usageNone is "no such day" of adjacentDay.
const usageNone = math.MinInt64

// adjacentDay is the day query finds (usageNone: none).
func adjacentDay(t *wtx, query string, args ...any) (int64, error) {
	var d int64
	err := t.tx.QueryRowContext(t.ctx, query, args...).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return usageNone, nil
	}
	return d, err
}

// addEntry adds delta to the entries with prev of a group on day and in
// its month: the cumulative rows from prev on move by delta, a row for
// prev starting from the one below it.
func addEntry(t *wtx, kind, key string, day, prev, delta int64) error {
	for _, b := range []struct {
		table, col string
		at         int64
	}{{"usage_entry_days", "day", day}, {"usage_entry_months", "month", monthOf(day)}} {
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO `+b.table+`(kind, `+b.col+`, key, prev, cum)
VALUES(?1, ?2, ?3, ?4, ifnull((SELECT cum FROM `+b.table+` WHERE kind=?1 AND `+b.col+`=?2 AND key=?3 AND prev<?4
	ORDER BY prev DESC LIMIT 1), 0))
ON CONFLICT DO NOTHING`, kind, b.at, key, prev); err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE `+b.table+` SET cum=cum+? WHERE kind=? AND `+b.col+`=? AND key=? AND prev>=?`,
			delta, kind, b.at, key, prev); err != nil {
			return err
		}
	}
	_, err := t.tx.ExecContext(t.ctx, "INSERT INTO usage_group_months(kind, month, key) VALUES(?, ?, ?) ON CONFLICT DO NOTHING",
		kind, monthOf(day), key)
	return err
}

// groupSessionsQuery counts the distinct sessions of each group of kind
// in days from..to (from <= to; usage_groups_schema.go explains the sum):
// the sessions active on day from, then for each group and bucket of
// from+1..to (the days at its ends, its whole months) the bucket's entries
// whose previous active day is before from, one cumulative row each.
func groupSessionsQuery(kind string, from, to int64) (string, []any) {
	headTo, m1, m2, tailFrom := usageSpan(from+1, to)
	seek := func(table, col string) string {
		return "(SELECT e.cum FROM " + table + " e WHERE e.kind=g.kind AND e." + col + "=g." + col +
			" AND e.key=g.key AND e.prev<?2 ORDER BY e.prev DESC LIMIT 1)"
	}
	return `SELECT key, sum(n) FROM (
	SELECT key, sessions AS n FROM usage_group_days WHERE kind=?1 AND day=?2
	UNION ALL SELECT g.key, ` + seek("usage_entry_days", "day") + ` FROM usage_group_days g
		WHERE g.kind=?1 AND g.day>?2 AND g.day<=?3
	UNION ALL SELECT g.key, ` + seek("usage_entry_days", "day") + ` FROM usage_group_days g
		WHERE g.kind=?1 AND g.day>=?4 AND g.day<=?5
	UNION ALL SELECT g.key, ` + seek("usage_entry_months", "month") + ` FROM usage_group_months g
		WHERE g.kind=?1 AND g.month>=?6 AND g.month<=?7
) GROUP BY key`, []any{kind, from, headTo, tailFrom, to, m1, m2}
}

// groupSessionCounts fills the Sessions of rows, the groups of kind in
// days from..to.
func (s *Store) groupSessionCounts(ctx context.Context, kind string, from, to int64, rows []UsageRow, index map[string]int) error {
	if from > to {
		return nil
	}
	query, args := groupSessionsQuery(kind, from, to)
	return s.countSessions(ctx, query, args, kind, rows, index)
}
