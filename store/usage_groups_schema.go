package store

// usageGroupsSchemaSQL is the migration of the distinct-session counts of
// the groupings by agent, model and project (usage_groups.go): the tables,
// then usageGroupsBuildSQL, which fills them from usage_sessions.
//
// A group is a kind ('agent', 'model' or 'project') and a key (the agent,
// model or project). Its sessions in days from..to are the sessions with a
// turn in the group on one of those days. Each session's active days in a
// group, d1 < d2 < ... (usage_group_sessions: one row per session, group
// and day; usage_sessions keeps one project per session, day and model,
// so it cannot tell), are points (d, prev): prev is the session's
// previous active day in the group (usageNoPrev for d1). A session is in
// the range once for the point of its first active day in it, the one
// point with from <= d <= to and prev < from; so the count is the
// sessions active on day from plus the points with from < d <= to and
// prev < from. A point with prev = d-1 never has prev < from when
// d > from, so only entries count: a first active day, or one after a day
// or more without a turn in the group.
//   - usage_group_days: one row per group and day with a turn: the
//     distinct sessions active that day (and the rows the day buckets of
//     a range are read from);
//   - usage_group_months: one row per group and UTC month with an entry;
//   - usage_entry_days, usage_entry_months: the entries of a group in a
//     day or month by their prev, cumulative: cum is the number of the
//     bucket's entries whose prev is at most this row's. The entries of a
//     bucket with prev < from are one row, the one with the largest
//     prev below from (an index seek), whatever the number of sessions.
//
// So a range reads one row per group and day at its ends and per group
// and whole month in it (usageSpan), each with one seek: bounded by the
// days, months and groups of the range, not by the sessions.
const usageGroupsSchemaSQL = `
CREATE TABLE IF NOT EXISTS usage_group_sessions (
	session_id TEXT NOT NULL,
	kind       TEXT NOT NULL,   -- 'agent' | 'model' | 'project'
	key        TEXT NOT NULL,
	day        INTEGER NOT NULL,
	PRIMARY KEY (session_id, kind, key, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_group_days (
	kind     TEXT NOT NULL,     -- 'agent' | 'model' | 'project'
	day      INTEGER NOT NULL,  -- UTC days since 1970-01-01
	key      TEXT NOT NULL,
	sessions INTEGER NOT NULL,  -- distinct sessions with a turn in the group that day
	PRIMARY KEY (kind, day, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_group_months (
	kind  TEXT NOT NULL,
	month INTEGER NOT NULL,     -- year*12 + month-1, UTC
	key   TEXT NOT NULL,
	PRIMARY KEY (kind, month, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_entry_days (
	kind TEXT NOT NULL,
	day  INTEGER NOT NULL,
	key  TEXT NOT NULL,
	prev INTEGER NOT NULL,      -- the previous active day; -4294967296: none
	cum  INTEGER NOT NULL,      -- entries on day with a previous active day <= prev
	PRIMARY KEY (kind, day, key, prev)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_entry_months (
	kind  TEXT NOT NULL,
	month INTEGER NOT NULL,
	key   TEXT NOT NULL,
	prev  INTEGER NOT NULL,
	cum   INTEGER NOT NULL,     -- entries in month with a previous active day <= prev
	PRIMARY KEY (kind, month, key, prev)
) WITHOUT ROWID;
` + usageGroupsBuildSQL

// usageNoPrev is the prev of a session's first active day in a group: a
// day before every day.
const usageNoPrev = -4294967296

// usageGroupsBuildSQL fills the tables of usageGroupsSchemaSQL from
// usage_sessions, when they are empty (so it is idempotent): what the
// turns recorded so far would have written.
const usageGroupsBuildSQL = `
INSERT INTO usage_group_sessions(session_id, kind, key, day)
SELECT session_id, 'agent', agent, day FROM usage_sessions WHERE NOT EXISTS (SELECT 1 FROM usage_group_sessions)
UNION SELECT session_id, 'model', model, day FROM usage_sessions WHERE NOT EXISTS (SELECT 1 FROM usage_group_sessions)
UNION SELECT session_id, 'project', project, day FROM usage_sessions WHERE NOT EXISTS (SELECT 1 FROM usage_group_sessions);
CREATE TEMP TABLE usage_group_points AS
SELECT kind, key, day, ifnull(lag(day) OVER (PARTITION BY kind, key, session_id ORDER BY day), -4294967296) AS prev
FROM usage_group_sessions WHERE NOT EXISTS (SELECT 1 FROM usage_group_days);
INSERT INTO usage_group_days(kind, day, key, sessions)
SELECT kind, day, key, count(*) FROM temp.usage_group_points GROUP BY kind, day, key;
INSERT INTO usage_entry_days(kind, day, key, prev, cum)
SELECT kind, day, key, prev, sum(n) OVER (PARTITION BY kind, day, key ORDER BY prev)
FROM (SELECT kind, day, key, prev, count(*) AS n FROM temp.usage_group_points WHERE prev < day - 1 GROUP BY kind, day, key, prev);
INSERT INTO usage_entry_months(kind, month, key, prev, cum)
SELECT kind, month, key, prev, sum(n) OVER (PARTITION BY kind, month, key ORDER BY prev)
FROM (SELECT kind, CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1 AS month,
	key, prev, count(*) AS n FROM temp.usage_group_points WHERE prev < day - 1 GROUP BY 1, 2, 3, 4);
INSERT INTO usage_group_months(kind, month, key) SELECT DISTINCT kind, month, key FROM usage_entry_months
WHERE NOT EXISTS (SELECT 1 FROM usage_group_months);
DROP TABLE temp.usage_group_points;
`
