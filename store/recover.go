package store

import (
	"context"

	"github.com/corral-dev/corral/event"
)

// RestartReason is the reason recorded on everything Recover closes.
const RestartReason = "corral restarted"

// Recovery is what Recover did.
type Recovery struct {
	// InterruptedSessions were processing or waiting for a permission
	// decision when corral stopped; they are now "interrupted".
	InterruptedSessions []string `json:"interruptedSessions"`
	// ClosedRuns had no terminal event; each got run.exited with reason
	// "corral restarted".
	ClosedRuns []string `json:"closedRuns"`
	// ExpiredPermissions were pending; they are now "expired".
	ExpiredPermissions []string `json:"expiredPermissions"`
}

// Recover repairs what a previous corral left open when it stopped without
// closing them (crash, SIGKILL, power loss). Call it once at start-up,
// before new sessions run:
//
//   - sessions in processing or waiting_permission become interrupted, with
//     a session.status event whose reason says why;
//   - runs without a terminal event get run.exited {"reason":"corral restarted"};
//   - pending permission requests are expired by "corral" with that reason,
//     each with a permission.resolved event.
//
// Everything is done in one transaction, so a crash during Recover leaves
// it to be done again at the next start.
func (s *Store) Recover(ctx context.Context) (Recovery, error) {
	out, err := s.writeJob(ctx, "recover", func(t *wtx) error {
		var rec Recovery
		ids, err := t.strings("SELECT id FROM sessions WHERE status IN ('processing', 'waiting_permission') AND runner='' ORDER BY id")
		if err != nil {
			return err
		}
		for _, id := range ids {
			var from string
			if err := t.tx.QueryRowContext(t.ctx, "SELECT status FROM sessions WHERE id=?", id).Scan(&from); err != nil {
				return err
			}
			// interrupted is the state machine's answer for a turn cut
			// short; checked like any other change.
			if err := t.w.s.checkTransition(from, "interrupted"); err != nil {
				return err
			}
			if _, err := t.tx.ExecContext(t.ctx, "UPDATE sessions SET status='interrupted', updated_at=? WHERE id=?", t.now.UnixNano(), id); err != nil {
				return err
			}
			ev := event.New(event.SessionStatus, StatusData{Status: "interrupted", From: from,
				Reason: RestartReason + " while the session was " + from})
			ev.SessionID, ev.Time = id, t.now
			if _, err := t.emit(ev); err != nil {
				return err
			}
			rec.InterruptedSessions = append(rec.InterruptedSessions, id)
		}

		type openRun struct{ id, session string }
		var runs []openRun
		rows, err := t.tx.QueryContext(t.ctx, "SELECT id, session_id FROM runs WHERE ended_at IS NULL ORDER BY started_at, id")
		if err != nil {
			return err
		}
		for rows.Next() {
			var r openRun
			if err := rows.Scan(&r.id, &r.session); err != nil {
				rows.Close()
				return err
			}
			runs = append(runs, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range runs {
			ev := event.New(event.RunExited, RunEnd{RunID: r.id, Reason: RestartReason})
			ev.SessionID, ev.RunID, ev.Time = r.session, r.id, t.now
			if _, err := t.emit(ev); err != nil {
				return err
			}
			rec.ClosedRuns = append(rec.ClosedRuns, r.id)
		}

		perms, err := t.strings("SELECT id FROM permissions WHERE status='pending' ORDER BY created_at, id")
		if err != nil {
			return err
		}
		for _, id := range perms {
			if _, err := t.resolve(id, Decision{Decision: PermissionExpired, By: "corral", Message: RestartReason}); err != nil {
				return err
			}
			rec.ExpiredPermissions = append(rec.ExpiredPermissions, id)
		}
		t.answer(rec)
		return nil
	}, false)
	rec, _ := out.(Recovery)
	return rec, err
}

func (t *wtx) strings(q string, args ...any) ([]string, error) {
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
