package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// devicesSQL is the migration of the paired-devices table: one row per
// device paired with `corral pair` (api/pairing.go). The device's bearer
// token is never stored, only its SHA-256.
const devicesSQL = `
CREATE TABLE IF NOT EXISTS devices (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL DEFAULT '',
	token_hash BLOB NOT NULL UNIQUE, -- SHA-256 of the bearer token
	created_at INTEGER NOT NULL,     -- unix nanoseconds
	last_seen  INTEGER NOT NULL      -- unix nanoseconds
) WITHOUT ROWID;
`

// Device is a paired device's record.
type Device struct {
	ID        string
	Name      string
	TokenHash []byte // SHA-256 of the device's bearer token
	CreatedAt time.Time
	LastSeen  time.Time
}

// AddDevice records a paired device and waits for the commit.
func (s *Store) AddDevice(ctx context.Context, d Device) error {
	return s.write(ctx, "add device", func(t *wtx) error {
		_, err := t.tx.ExecContext(t.ctx, `INSERT INTO devices(id, name, token_hash, created_at, last_seen)
			VALUES (?, ?, ?, ?, ?)`, d.ID, d.Name, d.TokenHash, d.CreatedAt.UnixNano(), d.LastSeen.UnixNano())
		return err
	})
}

// DeleteDevice removes a device with its push subscriptions and push
// choices (a revoked device hears nothing more); ErrNotFound when there is
// none.
func (s *Store) DeleteDevice(ctx context.Context, id string) error {
	return s.write(ctx, "delete device", func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx, "DELETE FROM devices WHERE id=?", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return ErrNotFound
		}
		for _, q := range []string{"DELETE FROM push_subscriptions WHERE device_id=?", "DELETE FROM push_devices WHERE device_id=?"} {
			if _, err := t.tx.ExecContext(t.ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// TouchDevice sets a device's last-seen time (a device that is gone is
// not an error).
func (s *Store) TouchDevice(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, "touch device", func(t *wtx) error {
		_, err := t.tx.ExecContext(t.ctx, "UPDATE devices SET last_seen=? WHERE id=?", at.UnixNano(), id)
		return err
	})
}

// DeviceByTokenHash returns the device whose token hashes to hash;
// ErrNotFound when none does.
func (s *Store) DeviceByTokenHash(ctx context.Context, hash []byte) (Device, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT id, name, token_hash, created_at, last_seen FROM devices WHERE token_hash=?`, hash)
	d, err := scanDevice(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, ErrNotFound
	}
	return d, err
}

// Devices returns every paired device, oldest first.
func (s *Store) Devices(ctx context.Context) ([]Device, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, token_hash, created_at, last_seen FROM devices ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func scanDevice(scan func(...any) error) (Device, error) {
	var d Device
	var created, seen int64
	if err := scan(&d.ID, &d.Name, &d.TokenHash, &created, &seen); err != nil {
		return Device{}, err
	}
	d.CreatedAt, d.LastSeen = time.Unix(0, created), time.Unix(0, seen)
	return d, nil
}
