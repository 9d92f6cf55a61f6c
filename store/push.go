package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// Web Push subscriptions (package push owns their meaning): one row per
// browser subscription, keyed by its push-service endpoint and owned by a
// paired device; and, per device, which kinds of session events it wants
// pushed (no row: every kind).

// pushSchemaSQL is the migration of the push tables.
const pushSchemaSQL = `
CREATE TABLE IF NOT EXISTS push_subscriptions (
	endpoint   TEXT PRIMARY KEY,
	device_id  TEXT NOT NULL,
	p256dh     TEXT NOT NULL,
	auth       TEXT NOT NULL,
	created_at INTEGER NOT NULL       -- unix nanoseconds
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS push_subscriptions_by_device ON push_subscriptions(device_id);
CREATE TABLE IF NOT EXISTS push_devices (
	device_id TEXT PRIMARY KEY,
	events    TEXT NOT NULL           -- JSON array of event kinds
) WITHOUT ROWID;
`

// PushSubscription is one stored browser push subscription. Events are
// the kinds its device wants (nil: every kind).
type PushSubscription struct {
	Endpoint  string
	DeviceID  string
	P256dh    string
	Auth      string
	CreatedAt time.Time
	Events    []string
}

// PutPushSubscription stores a subscription (replacing one with the same
// endpoint, which then belongs to sub.DeviceID).
func (s *Store) PutPushSubscription(ctx context.Context, sub PushSubscription) error {
	return s.write(ctx, "put push subscription", func(t *wtx) error {
		_, err := t.tx.ExecContext(t.ctx, `INSERT OR REPLACE INTO push_subscriptions
			(endpoint, device_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)`,
			sub.Endpoint, sub.DeviceID, sub.P256dh, sub.Auth, sub.CreatedAt.UnixNano())
		return err
	})
}

// DeletePushSubscription removes the subscription with this endpoint, only
// if it belongs to deviceID when deviceID is not empty, and reports
// whether one was removed.
func (s *Store) DeletePushSubscription(ctx context.Context, endpoint, deviceID string) (bool, error) {
	out, err := s.writeJob(ctx, "delete push subscription", func(t *wtx) error {
		q, args := "DELETE FROM push_subscriptions WHERE endpoint=?", []any{endpoint}
		if deviceID != "" {
			q, args = q+" AND device_id=?", append(args, deviceID)
		}
		r, err := t.tx.ExecContext(t.ctx, q, args...)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		t.answer(n > 0)
		return err
	}, false)
	removed, _ := out.(bool)
	return removed, err
}

// SetPushEvents sets the kinds of events a device wants pushed; nil
// removes the device's choice (every kind again).
func (s *Store) SetPushEvents(ctx context.Context, deviceID string, events []string) error {
	return s.write(ctx, "set push events", func(t *wtx) error {
		if events == nil {
			_, err := t.tx.ExecContext(t.ctx, "DELETE FROM push_devices WHERE device_id=?", deviceID)
			return err
		}
		b, err := json.Marshal(events)
		if err != nil {
			return err
		}
		_, err = t.tx.ExecContext(t.ctx, "INSERT OR REPLACE INTO push_devices (device_id, events) VALUES (?, ?)", deviceID, string(b))
		return err
	})
}

// PushSubscriptions returns the stored subscriptions, of one device or
// (deviceID "") of all, oldest first, each with its device's events.
func (s *Store) PushSubscriptions(ctx context.Context, deviceID string) ([]PushSubscription, error) {
	q := `SELECT s.endpoint, s.device_id, s.p256dh, s.auth, s.created_at, d.events
		FROM push_subscriptions s LEFT JOIN push_devices d ON d.device_id = s.device_id`
	var args []any
	if deviceID != "" {
		q, args = q+" WHERE s.device_id=?", []any{deviceID}
	}
	rows, err := s.rdb.QueryContext(ctx, q+" ORDER BY s.created_at, s.endpoint", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PushSubscription
	for rows.Next() {
		var p PushSubscription
		var created int64
		var events sql.NullString
		if err := rows.Scan(&p.Endpoint, &p.DeviceID, &p.P256dh, &p.Auth, &created, &events); err != nil {
			return nil, err
		}
		p.CreatedAt = time.Unix(0, created).UTC()
		if events.Valid {
			if err := json.Unmarshal([]byte(events.String), &p.Events); err != nil {
				return nil, err
			}
			if p.Events == nil {
				p.Events = []string{}
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PushEvents returns the kinds of events a device chose, or nil when it
// chose none (every kind).
func (s *Store) PushEvents(ctx context.Context, deviceID string) ([]string, error) {
	var events string
	err := s.rdb.QueryRowContext(ctx, "SELECT events FROM push_devices WHERE device_id=?", deviceID).Scan(&events)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := []string{}
	return out, json.Unmarshal([]byte(events), &out)
}
