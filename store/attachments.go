package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// attachmentsSQL is the schema of the files users attach to their
// messages (migration 7). The content is kept with the session, in the
// database, so it goes with the session's other records (DeleteSession
// removes it) and GetAttachment serves it without a file of its own.
// queued_id names the queued message (queued_messages, migration 5) that
// carries the file while it waits in the session's queue (msgqueue.go):
// set when the message is queued, cleared when it is sent, and the file
// deleted with the message when it is cancelled.
const attachmentsSQL = `
CREATE TABLE IF NOT EXISTS attachments (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	name       TEXT NOT NULL,
	mime_type  TEXT NOT NULL,
	size       INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	data       BLOB NOT NULL,
	queued_id  TEXT
);
CREATE INDEX IF NOT EXISTS attachments_by_session ON attachments(session_id);
CREATE INDEX IF NOT EXISTS attachments_by_queued ON attachments(queued_id) WHERE queued_id IS NOT NULL;
`

// Attachment is a file attached to a user message of a session.
type Attachment struct {
	ID        string    `json:"id"`
	SessionID string    `json:"sessionId"`
	Name      string    `json:"name"`
	MimeType  string    `json:"mimeType"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"createdAt"`
	// Data is the content; ListAttachments leaves it nil.
	Data []byte `json:"-"`
}

// AddAttachments stores attachments of one session in one transaction and
// waits for the commit. Every attachment needs an ID and the SessionID of
// an existing session (else ErrNotFound); an ID already stored is
// ErrExists. Size is taken from Data.
func (s *Store) AddAttachments(ctx context.Context, atts []Attachment) error {
	if len(atts) == 0 {
		return nil
	}
	return s.write(ctx, "add attachments", func(t *wtx) error {
		for _, a := range atts {
			if a.ID == "" || a.SessionID == "" {
				return errors.New("store: an attachment needs an id and a session id")
			}
			var one int
			err := t.tx.QueryRowContext(t.ctx, "SELECT 1 FROM sessions WHERE id=?", a.SessionID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("session %q: %w", a.SessionID, ErrNotFound)
			} else if err != nil {
				return err
			}
			created := a.CreatedAt
			if created.IsZero() {
				created = t.now
			}
			data := a.Data
			if data == nil {
				data = []byte{}
			}
			_, err = t.tx.ExecContext(t.ctx, "INSERT OR IGNORE INTO attachments(id, session_id, name, mime_type, size, created_at, data) VALUES(?,?,?,?,?,?,?)",
				a.ID, a.SessionID, a.Name, a.MimeType, len(data), created.UnixNano(), data)
			if err != nil {
				return err
			}
			var n int
			if err := t.tx.QueryRowContext(t.ctx, "SELECT changes()").Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("attachment %q: %w", a.ID, ErrExists)
			}
		}
		return nil
	})
}

// GetAttachment returns one attachment of a session with its content, or
// ErrNotFound (also when it belongs to another session).
func (s *Store) GetAttachment(sessionID, id string) (Attachment, error) {
	a := Attachment{ID: id, SessionID: sessionID}
	var ns int64
	err := s.rdb.QueryRow("SELECT name, mime_type, size, created_at, data FROM attachments WHERE id=? AND session_id=?", id, sessionID).
		Scan(&a.Name, &a.MimeType, &a.Size, &ns, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, fmt.Errorf("attachment %q of session %q: %w", id, sessionID, ErrNotFound)
	}
	a.CreatedAt = time.Unix(0, ns)
	return a, err
}

// ListAttachments returns the attachments of a session without their
// content, oldest first.
func (s *Store) ListAttachments(sessionID string) ([]Attachment, error) {
	rows, err := s.rdb.Query("SELECT id, name, mime_type, size, created_at FROM attachments WHERE session_id=? ORDER BY created_at, id", sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		a := Attachment{SessionID: sessionID}
		var ns int64
		if err := rows.Scan(&a.ID, &a.Name, &a.MimeType, &a.Size, &ns); err != nil {
			return nil, err
		}
		a.CreatedAt = time.Unix(0, ns)
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteAttachments removes attachments of a session (those of a message
// that could not be sent) and waits for the commit. Ids not stored are
// ignored.
func (s *Store) DeleteAttachments(ctx context.Context, sessionID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.write(ctx, "delete attachments", func(t *wtx) error {
		for _, id := range ids {
			if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM attachments WHERE id=? AND session_id=?", id, sessionID); err != nil {
				return err
			}
		}
		return nil
	})
}
