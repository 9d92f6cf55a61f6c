package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/event"
)

// ErrExists is returned when creating a record whose id is taken.
var ErrExists = errors.New("store: already exists")

// Session is the stored record of one session. Counters and totals are
// updated with AddUsage; LastActivity also moves with every committed event
// of the session.
type Session struct {
	ID             string          `json:"id"`
	Agent          string          `json:"agent"`
	Cwd            string          `json:"cwd"`
	Model          string          `json:"model,omitempty"`
	PermissionMode string          `json:"permissionMode,omitempty"`
	Title          string          `json:"title,omitempty"`
	AgentSessionID string          `json:"agentSessionId,omitempty"` // the CLI's own id, for resume
	Status         string          `json:"status"`
	CreatedAt      time.Time       `json:"createdAt"`
	UpdatedAt      time.Time       `json:"updatedAt"`
	LastActivity   time.Time       `json:"lastActivity"`
	Messages       int64           `json:"messages"`
	Usage          Usage           `json:"usage"`
	Meta           json.RawMessage `json:"meta,omitempty"` // free-form JSON object for the session layer
	// Pinned, Archived and TitleByUser are a person's decisions
	// (sessionflags.go); TitleByUser: the title was chosen by RenameSession.
	Pinned      bool `json:"pinned,omitempty"`
	Archived    bool `json:"archived,omitempty"`
	TitleByUser bool `json:"titleByUser,omitempty"`
	// Runner names the fleet runner that owns the session when this
	// record is a replica kept by a hub (replica.go); "" for a local one.
	Runner string `json:"runner,omitempty"`
}

// Usage is a set of counters added to a session by AddUsage.
type Usage struct {
	Messages         int64   `json:"messages,omitempty"` // only in AddUsage deltas; totals are in Session.Messages
	InputTokens      int64   `json:"inputTokens"`
	OutputTokens     int64   `json:"outputTokens"`
	CacheReadTokens  int64   `json:"cacheReadTokens"`
	CacheWriteTokens int64   `json:"cacheWriteTokens"`
	CostUSD          float64 `json:"costUsd"`
}

const sessionCols = "id, agent, cwd, model, permission_mode, title, agent_session_id, status, created_at, updated_at, last_activity, messages, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, meta, pinned, archived, title_user, runner"

func scanSession(r scanner) (Session, error) {
	var x Session
	var created, updated, activity int64
	var meta sql.NullString
	err := r.Scan(&x.ID, &x.Agent, &x.Cwd, &x.Model, &x.PermissionMode, &x.Title, &x.AgentSessionID, &x.Status,
		&created, &updated, &activity, &x.Messages, &x.Usage.InputTokens, &x.Usage.OutputTokens,
		&x.Usage.CacheReadTokens, &x.Usage.CacheWriteTokens, &x.Usage.CostUSD, &meta, &x.Pinned, &x.Archived, &x.TitleByUser, &x.Runner)
	if err != nil {
		return x, err
	}
	x.CreatedAt, x.UpdatedAt, x.LastActivity = time.Unix(0, created), time.Unix(0, updated), time.Unix(0, activity)
	if meta.Valid && meta.String != "" {
		x.Meta = json.RawMessage(meta.String)
	}
	return x, nil
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// CreateSession stores a new session. ID is required; Status defaults to
// "active"; zero times default to now. It returns the stored record, or
// ErrExists.
func (s *Store) CreateSession(ctx context.Context, x Session) (Session, error) {
	if x.ID == "" {
		return x, errors.New("store: session id is empty")
	}
	now := s.opts.Now()
	if x.Status == "" {
		x.Status = "active"
	}
	for _, p := range []*time.Time{&x.CreatedAt, &x.UpdatedAt, &x.LastActivity} {
		if p.IsZero() {
			*p = now
		}
	}
	x.Usage.Messages = 0
	err := s.write(ctx, "create session", func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx, "INSERT OR IGNORE INTO sessions("+sessionCols+") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			x.ID, x.Agent, x.Cwd, x.Model, x.PermissionMode, x.Title, x.AgentSessionID, x.Status,
			x.CreatedAt.UnixNano(), x.UpdatedAt.UnixNano(), x.LastActivity.UnixNano(), x.Messages,
			x.Usage.InputTokens, x.Usage.OutputTokens, x.Usage.CacheReadTokens, x.Usage.CacheWriteTokens, x.Usage.CostUSD,
			nullJSON(x.Meta), x.Pinned, x.Archived, x.TitleByUser, x.Runner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session %q: %w", x.ID, ErrExists)
		}
		return nil
	})
	return x, err
}

// GetSession returns one session or ErrNotFound.
func (s *Store) GetSession(id string) (Session, error) {
	x, err := scanSession(s.rdb.QueryRow("SELECT "+sessionCols+" FROM sessions WHERE id=?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return x, fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	return x, err
}

// ActivityStaleness bounds how late ListSessions and EventCounts may be
// about what every event commit changes: last-activity times (and so the
// order of the list) and event counts. Any record write (status, title,
// usage, a new or deleted session) is seen by the next call. A UI polling
// the list many times a second while agents stream then costs one query
// per ActivityStaleness, not one per call.
const ActivityStaleness = 250 * time.Millisecond

// RecordGeneration counts the commits that wrote session records (status,
// title, usage, a new or deleted session, ...): a list read after it
// returned g holds every record write up to g. Event commits do not count.
func (s *Store) RecordGeneration() int64 { return s.recGen.Load() }

// sessionList is a cached ListSessions result, the generations it was
// read at and when.
type sessionList struct {
	gen, recGen int64
	at          time.Time
	list        []Session
}

// fresh reports whether a cache entry read at (gen, recGen, at) may still
// be served: no record write since, and no event commit since or one not
// older than ActivityStaleness.
func fresh(gen, recGen int64, at time.Time, nowGen, nowRecGen int64, now time.Time) bool {
	if recGen != nowRecGen {
		return false
	}
	return gen == nowGen || (!now.Before(at) && now.Sub(at) < ActivityStaleness)
}

// ListSessions returns sessions, most recently active first; limit <= 0
// means all. It reads the small sessions table through its index, and
// keeps the result until the next record write, or for ActivityStaleness
// after an event commit, so that clients polling the list many times a
// second cost a copy rather than a query. The Meta bytes of the returned
// records are shared: do not modify them.
func (s *Store) ListSessions(limit int) ([]Session, error) {
	gen, recGen, now := s.listGen.Load(), s.recGen.Load(), time.Now()
	old := s.list.Load()
	c := old
	if c == nil || !fresh(c.gen, c.recGen, c.at, gen, recGen, now) {
		rows, err := s.rdb.Query("SELECT " + sessionCols + " FROM sessions ORDER BY last_activity DESC, id")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var all []Session
		for rows.Next() {
			x, err := scanSession(rows)
			if err != nil {
				return nil, err
			}
			all = append(all, x)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		c = &sessionList{gen: gen, recGen: recGen, at: now, list: all}
		// Keep it only if no record write happened since recGen was
		// read, so the query saw that generation or a newer one.
		if s.recGen.Load() == recGen {
			s.list.CompareAndSwap(old, c)
		}
	}
	n := len(c.list)
	if limit > 0 && limit < n {
		n = limit
	}
	if n == 0 {
		return nil, nil
	}
	return append([]Session(nil), c.list[:n]...), nil
}

// UpdateSession applies fn to the current record inside the writer's
// transaction and stores the result. fn must not change ID, CreatedAt or
// the counters (use AddUsage); a changed Status is checked with
// Options.Transition and recorded as a session.status event, as SetStatus
// does. An error from fn aborts the update and is returned.
func (s *Store) UpdateSession(ctx context.Context, id string, fn func(*Session) error) (Session, error) {
	return s.updateSession(ctx, id, "", false, fn)
}

// SetStatus moves a session to status to, validated by Options.Transition,
// and appends a session.status event {"status","from","reason"} in the
// same transaction, so the record and the log never disagree. When the
// disk refuses the change it is kept (an *Unavailable with Kept set) and
// made, checked again, by the next commit that succeeds.
func (s *Store) SetStatus(ctx context.Context, id, to, reason string) (Session, error) {
	return s.updateSession(ctx, id, reason, true, func(x *Session) error {
		x.Status = to
		return nil
	})
}

// StatusData is the Data of a session.status event written by the store.
type StatusData struct {
	Status string `json:"status"`
	From   string `json:"from,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (s *Store) updateSession(ctx context.Context, id, reason string, keep bool, fn func(*Session) error) (Session, error) {
	out, err := s.writeJob(ctx, "update session", s.updateSessionJob(id, reason, fn), keep)
	x, _ := out.(Session)
	return x, err
}

// updateSessionJob is the writer job of updateSession; it answers the
// updated record.
func (s *Store) updateSessionJob(id, reason string, fn func(*Session) error) func(t *wtx) error {
	return func(t *wtx) error {
		cur, err := scanSession(t.tx.QueryRowContext(t.ctx, "SELECT "+sessionCols+" FROM sessions WHERE id=?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		next := cur
		if err := fn(&next); err != nil {
			return err
		}
		next.ID, next.CreatedAt, next.Messages, next.Usage = cur.ID, cur.CreatedAt, cur.Messages, cur.Usage
		if next.Status != cur.Status {
			if err := s.checkTransition(cur.Status, next.Status); err != nil {
				return err
			}
		}
		next.UpdatedAt = t.now
		if next.LastActivity.Before(cur.LastActivity) {
			next.LastActivity = cur.LastActivity
		}
		if _, err := t.tx.ExecContext(t.ctx,
			"UPDATE sessions SET agent=?, cwd=?, model=?, permission_mode=?, title=?, agent_session_id=?, status=?, updated_at=?, last_activity=?, meta=?, pinned=?, archived=?, title_user=? WHERE id=?",
			next.Agent, next.Cwd, next.Model, next.PermissionMode, next.Title, next.AgentSessionID, next.Status,
			next.UpdatedAt.UnixNano(), next.LastActivity.UnixNano(), nullJSON(next.Meta), next.Pinned, next.Archived, next.TitleByUser, id); err != nil {
			return err
		}
		if next.Status != cur.Status {
			ev := event.New(event.SessionStatus, StatusData{Status: next.Status, From: cur.Status, Reason: reason})
			ev.SessionID, ev.Time = id, t.now
			if _, err := t.emit(ev); err != nil {
				return err
			}
		}
		t.answer(next)
		return nil
	}
}

func (s *Store) checkTransition(from, to string) error {
	if to == "" {
		return errors.New("store: empty session status")
	}
	if s.opts.Transition != nil {
		return s.opts.Transition(from, to)
	}
	return nil
}

// AddUsage adds counters to a session's totals (messages, tokens, cost).
func (s *Store) AddUsage(ctx context.Context, id string, u Usage) error {
	return s.write(ctx, "add usage", addUsageJob(id, u))
}

func addUsageJob(id string, u Usage) func(t *wtx) error {
	return func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx,
			"UPDATE sessions SET messages=messages+?, input_tokens=input_tokens+?, output_tokens=output_tokens+?, cache_read_tokens=cache_read_tokens+?, cache_write_tokens=cache_write_tokens+?, cost_usd=cost_usd+?, updated_at=? WHERE id=?",
			u.Messages, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens, u.CostUSD, t.now.UnixNano(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		return nil
	}
}

// DeleteSession removes a session with its events, runs and permission
// requests. Events of the session still queued behind it are committed
// afterwards into a fresh stream (the writer keeps queue order).
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.write(ctx, "delete session", func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx, "DELETE FROM sessions WHERE id=?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session %q: %w", id, ErrNotFound)
		}
		if err := t.unindexSession(id); err != nil {
			return err
		}
		if err := t.deleteQueued(id); err != nil {
			return err
		}
		for _, q := range []string{
			"DELETE FROM event_blocks WHERE sid=(SELECT sid FROM streams WHERE session_id=?)",
			"DELETE FROM streams WHERE session_id=?",
			"DELETE FROM runs WHERE session_id=?",
			"DELETE FROM permissions WHERE session_id=?",
			"DELETE FROM session_budgets WHERE session_id=?",
			"DELETE FROM attachments WHERE session_id=?",
		} {
			if _, err := t.tx.ExecContext(t.ctx, q, id); err != nil {
				return err
			}
		}
		t.save(id)
		delete(t.w.streams, id)
		delete(t.activity, id)
		return nil
	})
}

// Run is one turn or process run inside a session.
type Run struct {
	ID        string    `json:"id"`
	SessionID string    `json:"sessionId"`
	ProcessID string    `json:"processId,omitempty"`
	Command   string    `json:"command,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	EndedAt   time.Time `json:"endedAt,omitzero"` // zero while running
	ExitCode  *int      `json:"exitCode,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// RunEnd is how a run ended; it becomes the Data of its run.exited event.
type RunEnd struct {
	RunID    string `json:"runId"`
	ExitCode *int   `json:"exitCode,omitempty"`
	Signal   string `json:"signal,omitempty"`
	Reason   string `json:"reason,omitempty"` // exit | killed | timeout | spawn-failed | crashed | free text
}

// CreateRun records a started run. ID and SessionID are required.
func (s *Store) CreateRun(ctx context.Context, r Run) error {
	if r.ID == "" {
		return errors.New("store: run id is empty")
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = s.opts.Now()
	}
	return s.write(ctx, "create run", createRunJob(r))
}

func createRunJob(r Run) func(t *wtx) error {
	return func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx,
			"INSERT OR IGNORE INTO runs(id, session_id, process_id, command, started_at) VALUES(?,?,?,?,?)",
			r.ID, r.SessionID, r.ProcessID, r.Command, r.StartedAt.UnixNano())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %q: %w", r.ID, ErrExists)
		}
		return nil
	}
}

// FinishRun gives a run its terminal event: if the run is still open it
// appends run.exited (Data = end) to the run's session and closes the run
// in the same transaction, and reports true. If the run already ended
// (FinishRun was called, or a run.exited event for it was appended, which
// closes the run too) it does nothing and reports false, so a run never
// gets two terminal events through the store. When the disk refuses the
// write, the error is an *Unavailable with Kept set: the run end is not
// dropped but written by the next commit that succeeds.
func (s *Store) FinishRun(ctx context.Context, runID string, end RunEnd) (bool, error) {
	out, err := s.writeKept(ctx, "finish run", finishRunJob(runID, end))
	emitted, _ := out.(bool)
	return emitted, err
}

// finishRunJob is the writer job of FinishRun; it answers true when it
// appended the run.exited.
func finishRunJob(runID string, end RunEnd) func(t *wtx) error {
	return func(t *wtx) error {
		var session string
		var ended sql.NullInt64
		err := t.tx.QueryRowContext(t.ctx, "SELECT session_id, ended_at FROM runs WHERE id=?", runID).Scan(&session, &ended)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %q: %w", runID, ErrNotFound)
		}
		if err != nil || ended.Valid {
			return err
		}
		// A run.exited for this run may be waiting in this very batch.
		for _, ev := range t.runEnds {
			if ev.RunID == runID {
				return nil
			}
		}
		e := end
		e.RunID = runID
		ev := event.New(event.RunExited, e)
		ev.SessionID, ev.RunID, ev.Time = session, runID, t.now
		if _, err := t.emit(ev); err != nil {
			return err
		}
		t.answer(true)
		return nil
	}
}

// GetRun returns one run or ErrNotFound.
func (s *Store) GetRun(id string) (Run, error) {
	var r Run
	var started int64
	var ended, code sql.NullInt64
	err := s.rdb.QueryRow("SELECT id, session_id, process_id, command, started_at, ended_at, exit_code, reason FROM runs WHERE id=?", id).
		Scan(&r.ID, &r.SessionID, &r.ProcessID, &r.Command, &started, &ended, &code, &r.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	r.StartedAt = time.Unix(0, started)
	if ended.Valid {
		r.EndedAt = time.Unix(0, ended.Int64)
	}
	if code.Valid {
		c := int(code.Int64)
		r.ExitCode = &c
	}
	return r, nil
}
