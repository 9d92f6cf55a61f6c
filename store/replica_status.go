package store

import (
	"context"

	"github.com/corral-dev/corral/event"
)

// StatusDisconnected is the status a hub gives the replicas of a runner it
// lost (session.Disconnected).
const StatusDisconnected = "disconnected"

// RunnerStatusData is the data of a runner.status event, which a hub
// appends to its system stream when it loses a runner or has it back.
type RunnerStatusData struct {
	Runner string `json:"runner"`
	Status string `json:"status"` // lost | online
	// Sessions are the sessions whose status the change set: to
	// disconnected when lost, back to the runner's when online.
	Sessions []string `json:"sessions"`
}

// DisconnectRunner marks the replicas of a lost runner: every session of
// runner that is neither terminated nor disconnected gets status
// disconnected, and the system stream a runner.status event (lost) naming
// them, in one transaction. It returns their ids. The runner's next record
// (an event carrying Corral-Session) or ReconnectRunner replaces the
// status.
func (s *Store) DisconnectRunner(ctx context.Context, runner string) ([]string, error) {
	out, err := s.writeJob(ctx, "disconnect runner", func(t *wtx) error {
		rows, err := t.tx.QueryContext(t.ctx, "UPDATE sessions SET status=?, updated_at=? WHERE runner=? AND status NOT IN (?, 'terminated') RETURNING id",
			StatusDisconnected, t.now.UnixNano(), runner, StatusDisconnected)
		if err != nil {
			return err
		}
		ids := []string{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		t.answer(ids)
		return t.emitRunnerStatus(runner, "lost", ids)
	}, false)
	ids, _ := out.([]string)
	return ids, err
}

// ReconnectRunner puts the runner's statuses back (statuses: session id →
// the runner's status of it) on those of its replicas that are still
// disconnected, and appends a runner.status event (online) naming them,
// in one transaction. It returns their ids.
func (s *Store) ReconnectRunner(ctx context.Context, runner string, statuses map[string]string) ([]string, error) {
	out, err := s.writeJob(ctx, "reconnect runner", func(t *wtx) error {
		ids := []string{}
		for id, st := range statuses {
			if st == "" || st == StatusDisconnected {
				continue
			}
			res, err := t.tx.ExecContext(t.ctx, "UPDATE sessions SET status=?, updated_at=? WHERE id=? AND runner=? AND status=?",
				st, t.now.UnixNano(), id, runner, StatusDisconnected)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				ids = append(ids, id)
			}
		}
		t.answer(ids)
		return t.emitRunnerStatus(runner, "online", ids)
	}, false)
	ids, _ := out.([]string)
	return ids, err
}

// emitRunnerStatus appends a runner.status event to the system stream.
func (t *wtx) emitRunnerStatus(runner, status string, ids []string) error {
	ev := event.New(event.RunnerStatus, RunnerStatusData{Runner: runner, Status: status, Sessions: ids})
	ev.Time = t.now
	_, err := t.emit(ev)
	return err
}
