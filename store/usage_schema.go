package store

// usageSchemaSQL is the migration of the usage accounting (usage.go): the
// daily rollups GetUsage reads and the per-session budget caps.
//
// Both rollups are kept as turns finish, in the transaction that adds the
// turn to its session's totals, so a query over a year never reads the
// event log:
//   - usage_daily: one row per UTC day, agent, model and project (the
//     session's working directory): the sums of every grouping;
//   - usage_monthly: usage_daily by UTC month, so a range reads whole
//     months there and only the days at its ends from usage_daily;
//   - usage_days: one row per day with its distinct sessions (the day
//     chart);
//   - usage_sessions: one row per session, day and model, in session
//     order: the distinct-session counts of the other groupings and a
//     session's own figures;
//   - usage_session_totals: one row per session, by cost: the top
//     sessions (see topSessions).
//
// Rows outlive their session: spend stays spent when a session is
// deleted. Sessions that existed before this migration are carried over
// as one row each, on the day of their last activity, with no turn count
// (the event log is not read again). The statements are idempotent: a
// database whose version was set back runs them again unchanged.
const usageSchemaSQL = `
CREATE TABLE IF NOT EXISTS usage_daily (
	day                INTEGER NOT NULL,   -- UTC days since 1970-01-01
	agent              TEXT NOT NULL,
	model              TEXT NOT NULL,
	project            TEXT NOT NULL,
	input_tokens       INTEGER NOT NULL DEFAULT 0,
	output_tokens      INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd           REAL NOT NULL DEFAULT 0,    -- reported plus estimated
	estimated_usd      REAL NOT NULL DEFAULT 0,    -- the part of cost_usd estimated from the price table
	unpriced_turns     INTEGER NOT NULL DEFAULT 0, -- turns with tokens but no reported or estimable cost
	turns              INTEGER NOT NULL DEFAULT 0,
	duration_ms        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (day, agent, model, project)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_daily_by_project ON usage_daily(project);

CREATE TABLE IF NOT EXISTS usage_sessions (
	session_id         TEXT NOT NULL,
	day                INTEGER NOT NULL,
	model              TEXT NOT NULL,
	agent              TEXT NOT NULL,
	project            TEXT NOT NULL,
	input_tokens       INTEGER NOT NULL DEFAULT 0,
	output_tokens      INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd           REAL NOT NULL DEFAULT 0,
	estimated_usd      REAL NOT NULL DEFAULT 0,
	unpriced_turns     INTEGER NOT NULL DEFAULT 0,
	turns              INTEGER NOT NULL DEFAULT 0,
	duration_ms        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (session_id, day, model)
) WITHOUT ROWID;

INSERT INTO usage_sessions(session_id, day, model, agent, project, input_tokens, output_tokens,
	cache_read_tokens, cache_write_tokens, cost_usd)
SELECT id, last_activity / 86400000000000, model, agent, cwd, input_tokens, output_tokens,
	cache_read_tokens, cache_write_tokens, cost_usd
FROM sessions
WHERE (input_tokens + output_tokens + cache_read_tokens + cache_write_tokens > 0 OR cost_usd > 0)
	AND NOT EXISTS (SELECT 1 FROM usage_sessions);
INSERT INTO usage_daily(day, agent, model, project, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, cost_usd)
SELECT day, agent, model, project, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
	sum(cache_write_tokens), sum(cost_usd)
FROM usage_sessions WHERE NOT EXISTS (SELECT 1 FROM usage_daily) GROUP BY day, agent, model, project;

CREATE TABLE IF NOT EXISTS usage_monthly (
	month              INTEGER NOT NULL,   -- year*12 + month-1, UTC
	agent              TEXT NOT NULL,
	model              TEXT NOT NULL,
	project            TEXT NOT NULL,
	input_tokens       INTEGER NOT NULL DEFAULT 0,
	output_tokens      INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd           REAL NOT NULL DEFAULT 0,
	estimated_usd      REAL NOT NULL DEFAULT 0,
	unpriced_turns     INTEGER NOT NULL DEFAULT 0,
	turns              INTEGER NOT NULL DEFAULT 0,
	duration_ms        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (month, agent, model, project)
) WITHOUT ROWID;
INSERT INTO usage_monthly(month, agent, model, project, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, cost_usd)
SELECT CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1,
	agent, model, project, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_usd)
FROM usage_daily WHERE NOT EXISTS (SELECT 1 FROM usage_monthly) GROUP BY 1, 2, 3, 4;

CREATE TABLE IF NOT EXISTS usage_days (
	day                INTEGER PRIMARY KEY,
	input_tokens       INTEGER NOT NULL DEFAULT 0,
	output_tokens      INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	cost_usd           REAL NOT NULL DEFAULT 0,
	estimated_usd      REAL NOT NULL DEFAULT 0,
	unpriced_turns     INTEGER NOT NULL DEFAULT 0,
	turns              INTEGER NOT NULL DEFAULT 0,
	duration_ms        INTEGER NOT NULL DEFAULT 0,
	sessions           INTEGER NOT NULL DEFAULT 0  -- distinct sessions with a turn that day
);
INSERT INTO usage_days(day, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, sessions)
SELECT day, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(cost_usd),
	count(DISTINCT session_id)
FROM usage_sessions WHERE NOT EXISTS (SELECT 1 FROM usage_days) GROUP BY day;

CREATE TABLE IF NOT EXISTS usage_session_totals (
	session_id TEXT PRIMARY KEY,
	cost_usd   REAL NOT NULL DEFAULT 0,
	tokens     INTEGER NOT NULL DEFAULT 0,
	first_day  INTEGER NOT NULL,
	last_day   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_session_totals_by_cost ON usage_session_totals(cost_usd DESC, tokens DESC, first_day, last_day);
INSERT INTO usage_session_totals(session_id, cost_usd, tokens, first_day, last_day)
SELECT session_id, sum(cost_usd), sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens), min(day), max(day)
FROM usage_sessions WHERE NOT EXISTS (SELECT 1 FROM usage_session_totals) GROUP BY session_id;

CREATE TABLE IF NOT EXISTS session_budgets (
	session_id TEXT PRIMARY KEY,
	usd        REAL,      -- NULL: no cap in dollars
	tokens     INTEGER    -- NULL: no cap in tokens
) WITHOUT ROWID;
`
