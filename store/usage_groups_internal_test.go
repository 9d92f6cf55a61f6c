package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// usageHistory is what a history of turns makes of each grouping's
// sessions, counted by brute force: the turns, each under its agent,
// model and project.
type usageHistory struct {
	turns []usageTurn
}

type usageTurn struct {
	session string
	day     int64
	keys    map[string]string // kind -> key
}

// sessions is the brute-force count: group key (kind "day": the day)
// -> the distinct sessions with a turn in the group on a day of from..to.
func (h *usageHistory) sessions(kind string, from, to int64) map[string]int64 {
	seen := map[[2]string]bool{}
	out := map[string]int64{}
	for _, x := range h.turns {
		key := x.keys[kind]
		if kind == "day" {
			key = dayTime(x.day).Format(time.DateOnly)
		}
		if x.day < from || x.day > to || seen[[2]string{key, x.session}] {
			continue
		}
		seen[[2]string{key, x.session}] = true
		out[key]++
	}
	return out
}

// randomUsageHistory makes sessions sessions over the days from start:
// each on a few days, some consecutive, some after gaps of days or
// months, with one to three models, and a project of its own on some
// turns; it returns the turns in a random order (so some come before
// turns of earlier days) and the sessions' agent and directory.
func randomUsageHistory(r *rand.Rand, sessions int, start time.Time, days int) ([]TurnUsage, map[string][2]string) {
	agents := []string{"claude", "codex", "gemini"}
	models := []string{"m1", "m2", "m3", "m4"}
	dirs := map[string][2]string{}
	var turns []TurnUsage
	for i := 0; i < sessions; i++ {
		id := fmt.Sprintf("s%03d", i)
		dirs[id] = [2]string{agents[r.Intn(len(agents))], fmt.Sprintf("/p%d", r.Intn(4))}
		day := r.Intn(days)
		for n := 1 + r.Intn(6); n > 0 && day < days; n-- {
			for k := 1 + r.Intn(3); k > 0; k-- {
				u := TurnUsage{SessionID: id, Model: models[r.Intn(len(models))], InputTokens: 10, CostUSD: 0.01,
					At: start.AddDate(0, 0, day).Add(time.Duration(r.Int63n(int64(24 * time.Hour))))}
				if r.Intn(5) == 0 {
					u.Project = fmt.Sprintf("/repo%d", r.Intn(2))
				}
				turns = append(turns, u)
			}
			switch r.Intn(4) {
			case 0, 1:
				day++
			case 2:
				day += 2 + r.Intn(10)
			default:
				day += 20 + r.Intn(60)
			}
		}
	}
	r.Shuffle(len(turns), func(i, j int) { turns[i], turns[j] = turns[j], turns[i] })
	return turns, dirs
}

func (h *usageHistory) add(u TurnUsage, dirs map[string][2]string) {
	project := u.Project
	if project == "" {
		project = dirs[u.SessionID][1]
	}
	h.turns = append(h.turns, usageTurn{u.SessionID, DayOf(u.At),
		map[string]string{"agent": dirs[u.SessionID][0], "model": u.Model, "project": project}})
}

// checkUsageSessions compares the Sessions of every grouping with the
// brute-force count over ranges: random ones, ones on month bounds, and
// open ones.
func checkUsageSessions(t *testing.T, s *Store, h *usageHistory, r *rand.Rand, start time.Time, days int) {
	t.Helper()
	ctx := context.Background()
	type span struct{ from, to time.Time }
	var ranges []span
	day := func(i int) time.Time { return start.AddDate(0, 0, i) }
	for i := 0; i < 150; i++ {
		a, b := r.Intn(days+10)-5, r.Intn(days+10)-5
		if a > b {
			a, b = b, a
		}
		ranges = append(ranges, span{day(a), day(b).Add(time.Duration(r.Int63n(int64(24 * time.Hour))))})
	}
	for m := start.AddDate(0, 0, 1-start.Day()); m.Before(day(days)); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, -1)
		ranges = append(ranges, span{m, end}, span{m.AddDate(0, 0, -1), end}, span{m.AddDate(0, 0, 1), end.AddDate(0, 1, 0)},
			span{m, end.AddDate(0, 2, 1)}, span{m, m}, span{end, end.AddDate(0, 0, 1)}, span{m, time.Time{}}, span{time.Time{}, end})
	}
	ranges = append(ranges, span{})
	for _, sp := range ranges {
		from, to := usageDays(UsageQuery{From: sp.from, To: sp.to})
		for _, kind := range []string{"agent", "model", "project", "day"} {
			rep, err := s.Usage(ctx, UsageQuery{From: sp.from, To: sp.to, GroupBy: kind})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, row := range rep.Rows {
				got[row.Key] = row.Sessions
			}
			want := h.sessions(kind, from, to)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s over %s..%s: got %v, want %v", kind, dayTime(from).Format(time.DateOnly), dayTime(to).Format(time.DateOnly), got, want)
			}
		}
	}
}

// The distinct sessions of every grouping, from the pre-aggregated
// entries, equal a brute-force count over random histories (turns on
// consecutive days, after gaps of days and months, several models and
// projects a session, recorded out of order) and random ranges, including
// ranges that start and end mid-month, on month bounds and open ones.
func TestUsageGroupSessionsMatchBruteForce(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)
	const days = 150
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			s, err := Open(t.TempDir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			turns, dirs := randomUsageHistory(r, 40, start, days)
			for id, d := range dirs {
				if _, err := s.CreateSession(ctx, Session{ID: id, Agent: d[0], Cwd: d[1]}); err != nil {
					t.Fatal(err)
				}
			}
			h := &usageHistory{}
			half := len(turns) / 2
			for i, u := range turns {
				if i == half {
					// Halfway, the counts are right for what is recorded.
					checkUsageSessions(t, s, h, r, start, days)
				}
				if err := s.AddTurnUsage(ctx, u); err != nil {
					t.Fatal(err)
				}
				h.add(u, dirs)
			}
			checkUsageSessions(t, s, h, r, start, days)
			// One session: one in each of its groups.
			rep, err := s.Usage(ctx, UsageQuery{GroupBy: "model", SessionID: "s001"})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rep.Rows {
				if row.Sessions != 1 {
					t.Errorf("session s001 by model: %+v", rep.Rows)
				}
			}
		})
	}
}

// usageEntryChanges: a day recorded between two active days of a
// session in a group sets the entries right.
func TestUsageEntryChanges(t *testing.T) {
	for _, c := range []struct {
		name            string
		prev, day, next int64
		want            []usageEntry
	}{
		{"first day", usageNoPrev, 10, usageNone, []usageEntry{{10, usageNoPrev, 1}}},
		{"the day after", 9, 10, usageNone, nil},
		{"after a gap", 7, 10, usageNone, []usageEntry{{10, 7, 1}}},
		{"the day before the first", usageNoPrev, 10, 11, []usageEntry{{11, usageNoPrev, -1}, {10, usageNoPrev, 1}}},
		{"before the first after a gap", usageNoPrev, 10, 15, []usageEntry{{15, usageNoPrev, -1}, {10, usageNoPrev, 1}, {15, 10, 1}}},
		{"filling a one-day gap", 9, 10, 11, []usageEntry{{11, 9, -1}}},
		{"in a gap", 5, 10, 20, []usageEntry{{20, 5, -1}, {10, 5, 1}, {20, 10, 1}}},
		{"joining the day before", 9, 10, 20, []usageEntry{{20, 9, -1}, {20, 10, 1}}},
		{"joining the day after", 5, 10, 11, []usageEntry{{11, 5, -1}, {10, 5, 1}}},
	} {
		if got := usageEntryChanges(c.prev, c.day, c.next); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// A database of version 13, whose usage rollup holds sessions' days but
// no group tables, gets them built by migration 14: the counts then equal
// the brute-force ones, and turns recorded after the upgrade keep them so.
func TestUsageGroupsMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", dsn(filepath.Join(dir, FileName), false))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA page_size=16384", "PRAGMA journal_mode=WAL"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	for v := 0; v < 13; v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v].sql); err != nil {
			t.Fatal(v+1, err)
		}
		if migrations[v].step != nil {
			if err := migrations[v].step(ctx, tx); err != nil {
				t.Fatal(v+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version=%d", v+1)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewSource(14))
	start := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	const days = 120
	turns, dirs := randomUsageHistory(r, 40, start, days)
	for id, d := range dirs {
		if _, err := db.ExecContext(ctx, "INSERT INTO sessions(id, agent, cwd, status, created_at, updated_at, last_activity) VALUES(?, ?, ?, 'idle', 1, 1, 1)",
			id, d[0], d[1]); err != nil {
			t.Fatal(err)
		}
	}
	// What version 13 wrote for the first two thirds of the turns: a row
	// per session, day and model, and the day and month rollups.
	h := &usageHistory{}
	old := turns[:len(turns)*2/3]
	for _, u := range old {
		if _, err := db.ExecContext(ctx, `INSERT INTO usage_sessions(session_id, day, model, agent, project, input_tokens, turns)
SELECT id, ?, ?, agent, coalesce(nullif(?, ''), cwd), ?, 1 FROM sessions WHERE id=?
ON CONFLICT(session_id, day, model) DO UPDATE SET turns=turns+1, input_tokens=input_tokens+excluded.input_tokens`,
			DayOf(u.At), u.Model, u.Project, u.InputTokens, u.SessionID); err != nil {
			t.Fatal(err)
		}
	}
	// The groups of these turns are what usage_sessions holds: one project
	// a session, day and model.
	rows, err := db.QueryContext(ctx, "SELECT session_id, day, agent, model, project FROM usage_sessions")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x usageTurn
		var agent, model, project string
		if err := rows.Scan(&x.session, &x.day, &agent, &model, &project); err != nil {
			t.Fatal(err)
		}
		x.keys = map[string]string{"agent": agent, "model": model, "project": project}
		h.turns = append(h.turns, x)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, q := range []string{
		`INSERT INTO usage_daily(day, agent, model, project, input_tokens, turns)
SELECT day, agent, model, project, sum(input_tokens), sum(turns) FROM usage_sessions GROUP BY 1, 2, 3, 4`,
		`INSERT INTO usage_monthly(month, agent, model, project, input_tokens, turns)
SELECT CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1,
	agent, model, project, sum(input_tokens), sum(turns) FROM usage_daily GROUP BY 1, 2, 3, 4`,
		`INSERT INTO usage_days(day, input_tokens, turns, sessions)
SELECT day, sum(input_tokens), sum(turns), count(DISTINCT session_id) FROM usage_sessions GROUP BY day`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("opening a version-13 database: %v", err)
	}
	defer s.Close()
	if v, err := schemaVersion(ctx, s.rdb); err != nil || v != SchemaVersion() || v < 14 {
		t.Fatalf("schema version %d (%v), want %d", v, err, SchemaVersion())
	}
	checkUsageSessions(t, s, h, r, start, days)
	for _, u := range turns[len(old):] {
		if err := s.AddTurnUsage(ctx, u); err != nil {
			t.Fatal(err)
		}
		h.add(u, dirs)
	}
	checkUsageSessions(t, s, h, r, start, days)
}

// The count of a range seeks its rows: every table it reads is searched
// by a range of days or months (and each bucket's entries by one seek),
// none scanned, so what it reads is bounded by the range, not the
// history.
func TestUsageGroupSessionsQueryPlan(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	from, to := DayOf(time.Date(2025, 12, 7, 0, 0, 0, 0, time.UTC)), DayOf(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
	q, args := groupSessionsQuery("project", from, to)
	rows, err := s.rdb.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	searches := 0
	for rows.Next() {
		var id, parent, unused int
		var step string
		if err := rows.Scan(&id, &parent, &unused, &step); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN (subquery"):
			t.Errorf("the count scans a table: %s", step)
		case strings.HasPrefix(step, "SEARCH "):
			searches++
			if !strings.Contains(step, "day") && !strings.Contains(step, "month") {
				t.Errorf("a search not bounded by days or months: %s", step)
			}
		}
	}
	if err := rows.Err(); err != nil || searches != 7 {
		t.Fatalf("%d searches (%v), want 7: the active day, head days, tail days, months, each bucket's seek", searches, err)
	}
}
