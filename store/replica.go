package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/event"
)

// replicaSchemaSQL supports fleets (package fleet/relay): on a hub, the
// runner that owns a replicated session; on a runner, the publisher's
// durable watermarks (the highest seq per session that the hub's stream
// acknowledged, and the cursor below which every event was acknowledged).
// The column sessions.runner is added by addRunnerColumn (a file whose
// version was set back may have it already).
const replicaSchemaSQL = `
CREATE TABLE IF NOT EXISTS replica_marks (
	session_id TEXT PRIMARY KEY,
	seq        INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta(key, value) VALUES ('replica_cursor', 0);
CREATE TABLE IF NOT EXISTS replica_deleted (
	session_id TEXT PRIMARY KEY
) WITHOUT ROWID;
`

// addRunnerColumn is the Go step of the replica migration: it adds
// sessions.runner unless the table has it.
func addRunnerColumn(ctx context.Context, tx *sql.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info('sessions') WHERE name='runner'").Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, "ALTER TABLE sessions ADD COLUMN runner TEXT NOT NULL DEFAULT ''")
	return err
}

// Replica is one event of a session owned by a runner, as a hub receives
// it. Event.Seq is the seq the runner's store assigned; Event.Cursor is
// ignored (the hub assigns its own).
type Replica struct {
	Event event.Event
	// Prev is the seq of the event the runner published before this one
	// in the same session (0: none). Normally Event.Seq-1; larger gaps mean
	// the runner no longer had the events in between (its retention).
	Prev int64
	// Session, when set, is the runner's current record of the session;
	// the hub's row is replaced by it (with Runner set to the runner).
	Session *Session
}

// ReplicaOutcome is what AppendReplicated did with one Replica.
type ReplicaOutcome uint8

const (
	// ReplicaStored: committed with its seq, and published.
	ReplicaStored ReplicaOutcome = iota
	// ReplicaDuplicate: a seq already stored; ignored.
	ReplicaDuplicate
	// ReplicaEarly: its predecessor (Prev) is not stored yet; nothing was
	// stored. The caller offers it again later.
	ReplicaEarly
)

// Gap is a run of seqs of a session that a hub will never have: the runner
// published an event whose Prev is stored but whose seq jumps past
// LastSeq+1 (the runner's retention dropped the events in between).
type Gap struct {
	Session  string
	From, To int64 // the missing seqs, inclusive
}

// ReplicaResult reports AppendReplicated: one outcome per Replica, in order.
type ReplicaResult struct {
	Outcomes []ReplicaOutcome
	Gaps     []Gap
}

// AppendReplicated commits events replicated from runner, in one
// transaction, keeping the runner's seqs, so that a replicated session
// reads (GetEvents since, replay, SSE) like a local one. It is idempotent
// by (session, seq): a seq at or below the stream's last stored seq is a
// ReplicaDuplicate. An event whose Prev is not yet stored is ReplicaEarly
// and is not stored (it arrived before its predecessor). A stored event
// whose seq jumps past last+1 is reported in Gaps. Events of a session
// deleted with DeleteReplica are ReplicaDuplicate. Each Replica with a
// Session replaces that session's row, marked with runner. The committed
// events go to Options.Publish (the bus) after the commit, as with Append.
func (s *Store) AppendReplicated(ctx context.Context, runner string, reps []Replica) (ReplicaResult, error) {
	res, err := s.AppendReplicatedGroups(ctx, []RunnerReplicas{{Runner: runner, Replicas: reps}})
	if err != nil {
		return ReplicaResult{}, err
	}
	return res[0], nil
}

// RunnerReplicas are events replicated from one runner.
type RunnerReplicas struct {
	Runner   string
	Replicas []Replica
}

// AppendReplicatedGroups is AppendReplicated for the events of several
// runners in one transaction (a hub's batch holds the runners' events
// interleaved, and a transaction per runner would be waited for in turn).
// It returns one ReplicaResult per group, in order; on error nothing is
// stored.
func (s *Store) AppendReplicatedGroups(ctx context.Context, groups []RunnerReplicas) ([]ReplicaResult, error) {
	pre := make([][]searchPre, len(groups))
	for g, grp := range groups {
		if grp.Runner == "" {
			return nil, fmt.Errorf("store: AppendReplicated: the runner of group %d is empty", g)
		}
		pre[g] = make([]searchPre, len(grp.Replicas))
		for i := range grp.Replicas {
			pre[g][i] = preIndex(&grp.Replicas[i].Event)
		}
	}
	out, err := s.writeJob(ctx, "append replicated", func(t *wtx) error {
		all := make([]ReplicaResult, len(groups))
		for g, grp := range groups {
			res := ReplicaResult{Outcomes: make([]ReplicaOutcome, len(grp.Replicas))}
			for i := range grp.Replicas {
				o, gap, err := t.appendReplica(grp.Runner, &grp.Replicas[i], &pre[g][i])
				if err != nil {
					return err
				}
				res.Outcomes[i] = o
				if gap != nil {
					res.Gaps = append(res.Gaps, *gap)
				}
			}
			all[g] = res
		}
		t.answer(all)
		return nil
	}, false)
	all, _ := out.([]ReplicaResult)
	if err != nil {
		return nil, err
	}
	return all, nil
}

// appendReplica is one Replica of AppendReplicated.
func (t *wtx) appendReplica(runner string, r *Replica, pre *searchPre) (ReplicaOutcome, *Gap, error) {
	ev := r.Event
	if ev.SessionID == "" || ev.Seq <= 0 {
		return 0, nil, fmt.Errorf("store: replicated event without session or seq (%q, %d)", ev.SessionID, ev.Seq)
	}
	if _, known := t.w.streams[ev.SessionID]; !known {
		// A session the hub deleted (DeleteReplica): what is still on
		// its way is dropped, not a new replica.
		var n int
		if err := t.tx.QueryRowContext(t.ctx, "SELECT count(*) FROM replica_deleted WHERE session_id=?", ev.SessionID).Scan(&n); err != nil {
			return 0, nil, err
		}
		if n > 0 {
			return ReplicaDuplicate, nil, nil
		}
	}
	if r.Session != nil {
		if err := t.putReplicaSession(runner, r.Session); err != nil {
			return 0, nil, err
		}
	}
	st, err := t.stream(ev.SessionID)
	if err != nil {
		return 0, nil, err
	}
	o, gapFrom := replicaDecision(st.lastSeq, r.Prev, ev.Seq)
	if o != ReplicaStored {
		return o, nil, nil
	}
	var gap *Gap
	if gapFrom > 0 {
		gap = &Gap{Session: ev.SessionID, From: gapFrom, To: ev.Seq - 1}
		t.save(ev.SessionID)
		if st.events == 0 {
			st.firstSeq, st.rawFrom = ev.Seq, ev.Seq
		}
		st.lastSeq = ev.Seq - 1 // emit assigns lastSeq+1: the runner's seq
	}
	if _, err := t.emitPre(ev, pre); err != nil {
		return 0, nil, err
	}
	return ReplicaStored, gap, nil
}

// replicaDecision is the rule of AppendReplicated for an event of seq with
// predecessor prev on a stream whose last stored seq is last: duplicate,
// early, or stored; gapFrom > 0 is the first missing seq of a gap.
func replicaDecision(last, prev, seq int64) (o ReplicaOutcome, gapFrom int64) {
	switch {
	case seq <= last:
		return ReplicaDuplicate, 0
	case seq == last+1:
		return ReplicaStored, 0
	case prev > last:
		return ReplicaEarly, 0
	default:
		return ReplicaStored, last + 1
	}
}

// putReplicaSession writes a runner's record of a session into the hub's
// sessions table. LastActivity never moves back (the hub's events move it
// too). A disconnected row keeps its status (a record still on its way
// when the runner was lost is older than the loss); ReconnectRunner alone
// gives it the runner's status back.
func (t *wtx) putReplicaSession(runner string, x *Session) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO sessions(`+sessionCols+`) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(id) DO UPDATE SET agent=excluded.agent, cwd=excluded.cwd, model=excluded.model,
	permission_mode=excluded.permission_mode, title=excluded.title, agent_session_id=excluded.agent_session_id,
	status=CASE WHEN sessions.status='`+StatusDisconnected+`' THEN sessions.status ELSE excluded.status END,
	created_at=excluded.created_at, updated_at=excluded.updated_at,
	last_activity=max(last_activity, excluded.last_activity), messages=excluded.messages,
	input_tokens=excluded.input_tokens, output_tokens=excluded.output_tokens,
	cache_read_tokens=excluded.cache_read_tokens, cache_write_tokens=excluded.cache_write_tokens,
	cost_usd=excluded.cost_usd, meta=excluded.meta, pinned=excluded.pinned, archived=excluded.archived,
	title_user=excluded.title_user, runner=excluded.runner`,
		x.ID, x.Agent, x.Cwd, x.Model, x.PermissionMode, x.Title, x.AgentSessionID, x.Status,
		x.CreatedAt.UnixNano(), x.UpdatedAt.UnixNano(), x.LastActivity.UnixNano(), x.Messages,
		x.Usage.InputTokens, x.Usage.OutputTokens, x.Usage.CacheReadTokens, x.Usage.CacheWriteTokens, x.Usage.CostUSD,
		nullJSON(x.Meta), x.Pinned, x.Archived, x.TitleByUser, runner)
	return err
}

// SessionRunner returns the runner that owns a session on a hub ("" for a
// local session), or ErrNotFound.
func (s *Store) SessionRunner(id string) (string, error) {
	var r string
	err := s.rdb.QueryRow("SELECT runner FROM sessions WHERE id=?", id).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("session %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", classify("session runner", err)
	}
	return r, nil
}

// DeleteReplica deletes a hub's replica of a session (DeleteSession) and
// keeps its id, so that AppendReplicated drops the session's events still
// on their way instead of making a new replica of them. ErrNotFound if the
// hub has no such session.
func (s *Store) DeleteReplica(ctx context.Context, id string) error {
	if err := s.write(ctx, "delete replica", func(t *wtx) error {
		_, err := t.tx.ExecContext(t.ctx, "INSERT OR IGNORE INTO replica_deleted(session_id) VALUES(?)", id)
		return err
	}); err != nil {
		return err
	}
	return s.DeleteSession(ctx, id)
}

// ReplicaMarks is a publisher's durable position: Cursor, below or at
// which every event of every session was acknowledged, and per session the
// highest seq acknowledged.
type ReplicaMarks struct {
	Cursor int64
	Seqs   map[string]int64
}

// ReplicaMarks reads the publisher's watermarks.
func (s *Store) ReplicaMarks() (ReplicaMarks, error) {
	m := ReplicaMarks{Seqs: map[string]int64{}}
	if err := s.rdb.QueryRow("SELECT coalesce((SELECT value FROM meta WHERE key='replica_cursor'), 0)").Scan(&m.Cursor); err != nil {
		return m, classify("replica marks", err)
	}
	rows, err := s.rdb.Query("SELECT session_id, seq FROM replica_marks")
	if err != nil {
		return m, classify("replica marks", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return m, classify("replica marks", err)
		}
		m.Seqs[id] = seq
	}
	return m, classify("replica marks", rows.Err())
}

// SetReplicaMarks durably raises the publisher's watermarks (a mark never
// moves back): cursor, and the seqs of the sessions in seqs.
func (s *Store) SetReplicaMarks(ctx context.Context, cursor int64, seqs map[string]int64) error {
	return s.write(ctx, "replica marks", func(t *wtx) error {
		if _, err := t.tx.ExecContext(t.ctx,
			"INSERT INTO meta(key, value) VALUES('replica_cursor', ?) ON CONFLICT(key) DO UPDATE SET value=max(value, excluded.value)", cursor); err != nil {
			return err
		}
		for id, seq := range seqs {
			if _, err := t.tx.ExecContext(t.ctx,
				"INSERT INTO replica_marks(session_id, seq) VALUES(?, ?) ON CONFLICT(session_id) DO UPDATE SET seq=max(seq, excluded.seq)", id, seq); err != nil {
				return err
			}
		}
		return nil
	})
}
