package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/event"
)

// Queued messages: what a user sent to a session while its turn ran,
// waiting to be sent as the next turns. The queue's rows and the event that
// announces each change (event.QueueAdded, QueueEdited, QueueCancelled,
// QueueSent) are written in one transaction, so every subscriber's view of
// the queue follows the stored one. The session layer decides when a message
// is queued and when it leaves; the store only keeps the order: a message
// added later comes later.

// queueSchemaSQL is the migration that adds the queue.
const queueSchemaSQL = `
CREATE TABLE queued_messages (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	ord        INTEGER NOT NULL,         -- order within the session's queue
	text       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX queued_messages_by_session ON queued_messages(session_id, ord);
`

// QueuedMessage is one message waiting in a session's queue.
type QueuedMessage struct {
	ID        string    `json:"id"`
	SessionID string    `json:"sessionId"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Attachments are the files the message carries, stored already
	// (AddAttachments) and linked to it while it is queued.
	Attachments []AttachmentRef `json:"attachments,omitempty"`
}

// AttachmentRef names a stored attachment without its content.
type AttachmentRef struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
}

// QueueEventData is the Data of the store's queue events; Position (1 =
// next) is set on queue.added, Text on queue.added and queue.edited, RunID
// and Steered on queue.sent, Attachments on queue.added and queue.sent of
// a message with files.
type QueueEventData struct {
	MessageID   string          `json:"messageId"`
	Text        string          `json:"text,omitempty"`
	Position    int             `json:"position,omitempty"`
	RunID       string          `json:"runId,omitempty"`
	Steered     bool            `json:"steered,omitempty"`
	Attachments []AttachmentRef `json:"attachments,omitempty"`
}

// QueueAddMessage queues the insertion of m at the end of its session's
// queue with its queue.added event (position is what the event reports).
// m's Attachments, stored before, are linked to it in the same
// transaction. Like the other queued writes it returns once queued.
func (s *Store) QueueAddMessage(m QueuedMessage, position int) error {
	if m.ID == "" || m.SessionID == "" {
		return errors.New("store: queued message without id or session")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.opts.Now()
	}
	return s.queueJob("queue a message", true, func(t *wtx) error {
		_, err := t.tx.ExecContext(t.ctx,
			`INSERT INTO queued_messages(id, session_id, ord, text, created_at, updated_at)
			 VALUES(?, ?, (SELECT coalesce(max(ord), 0) + 1 FROM queued_messages WHERE session_id=?), ?, ?, ?)`,
			m.ID, m.SessionID, m.SessionID, m.Text, m.CreatedAt.UnixNano(), m.CreatedAt.UnixNano())
		if err != nil {
			return err
		}
		for _, a := range m.Attachments {
			if _, err := t.tx.ExecContext(t.ctx, "UPDATE attachments SET queued_id=? WHERE id=? AND session_id=?", m.ID, a.ID, m.SessionID); err != nil {
				return err
			}
		}
		return t.emitQueue(m.SessionID, event.QueueAdded, QueueEventData{MessageID: m.ID, Text: m.Text, Position: position, Attachments: m.Attachments})
	})
}

// QueueEditMessage queues the change of a queued message's text with its
// queue.edited event. A message no longer queued is left alone.
func (s *Store) QueueEditMessage(sessionID, id, text string) error {
	return s.queueJob("edit a queued message", true, func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx, "UPDATE queued_messages SET text=?, updated_at=? WHERE id=? AND session_id=?",
			text, t.now.UnixNano(), id, sessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("queued message %q: %w", id, ErrNotFound)
		}
		return t.emitQueue(sessionID, event.QueueEdited, QueueEventData{MessageID: id, Text: text})
	})
}

// QueueRemoveMessage queues the removal of a queued message with its event:
// kind is event.QueueCancelled or event.QueueSent (d says which run took
// it). A cancelled message's attachments are deleted with it; a sent
// message's stay with the session (its run.started names them). A message
// no longer queued is left alone.
func (s *Store) QueueRemoveMessage(sessionID, kind string, d QueueEventData) error {
	if kind != event.QueueCancelled && kind != event.QueueSent {
		return fmt.Errorf("store: %q is not a queue removal", kind)
	}
	return s.queueJob("remove a queued message", true, func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx, "DELETE FROM queued_messages WHERE id=? AND session_id=?", d.MessageID, sessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("queued message %q: %w", d.MessageID, ErrNotFound)
		}
		q := "UPDATE attachments SET queued_id=NULL WHERE queued_id=? AND session_id=?"
		if kind == event.QueueCancelled {
			q = "DELETE FROM attachments WHERE queued_id=? AND session_id=?"
		}
		if _, err := t.tx.ExecContext(t.ctx, q, d.MessageID, sessionID); err != nil {
			return err
		}
		return t.emitQueue(sessionID, kind, d)
	})
}

func (t *wtx) emitQueue(sessionID, kind string, d QueueEventData) error {
	ev := event.New(kind, d)
	ev.SessionID, ev.Time = sessionID, t.now
	_, err := t.emit(ev)
	return err
}

// ListQueued returns a session's queued messages in queue order.
func (s *Store) ListQueued(sessionID string) ([]QueuedMessage, error) {
	rows, err := s.rdb.Query("SELECT id, session_id, text, created_at, updated_at FROM queued_messages WHERE session_id=? ORDER BY ord", sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QueuedMessage
	for rows.Next() {
		var m QueuedMessage
		var created, updated int64
		if err := rows.Scan(&m.ID, &m.SessionID, &m.Text, &created, &updated); err != nil {
			return nil, err
		}
		m.CreatedAt, m.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	return out, s.queuedAttachments(sessionID, out)
}

// queuedAttachments fills the Attachments of a session's queued messages,
// in the order they were stored.
func (s *Store) queuedAttachments(sessionID string, msgs []QueuedMessage) error {
	rows, err := s.rdb.Query(`SELECT queued_id, id, name, mime_type, size FROM attachments
		WHERE session_id=? AND queued_id IS NOT NULL ORDER BY rowid`, sessionID)
	if err != nil {
		return err
	}
	defer rows.Close()
	at := make(map[string]int, len(msgs))
	for i, m := range msgs {
		at[m.ID] = i
	}
	for rows.Next() {
		var qid string
		var a AttachmentRef
		if err := rows.Scan(&qid, &a.ID, &a.Name, &a.MimeType, &a.Size); err != nil {
			return err
		}
		if i, ok := at[qid]; ok {
			msgs[i].Attachments = append(msgs[i].Attachments, a)
		}
	}
	return rows.Err()
}

// deleteQueued removes a deleted session's queue (DeleteSession).
func (t *wtx) deleteQueued(sessionID string) error {
	_, err := t.tx.ExecContext(t.ctx, "DELETE FROM queued_messages WHERE session_id=?", sessionID)
	return err
}
