package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/store"
)

// Attachments of queued messages. A message sent with files while a turn
// runs is queued with them (SendOrQueueWithAttachments): the files are
// saved and stored as for a message sent at once, and the store links
// them to the queued message (store.QueuedMessage.Attachments), so they
// survive a restart. When the message is sent its files are read back
// from the store (the saved copy written again if it is gone) and go to
// the agent with its text; when it is cancelled the store deletes them
// with it and the saved copies are removed.

// queuedRefs names a turn's saved files for the store's queue.
func queuedRefs(atts []agent.Attachment) []store.AttachmentRef {
	if len(atts) == 0 {
		return nil
	}
	out := make([]store.AttachmentRef, len(atts))
	for i, a := range atts {
		out[i] = store.AttachmentRef{ID: a.ID, Name: a.Name, MimeType: a.MimeType, Size: int64(len(a.Data))}
	}
	return out
}

// refInfos is what a client is told of a queued message's files.
func refInfos(refs []store.AttachmentRef) []AttachmentInfo {
	if len(refs) == 0 {
		return nil
	}
	out := make([]AttachmentInfo, len(refs))
	for i, r := range refs {
		out[i] = AttachmentInfo{ID: r.ID, Name: r.Name, MimeType: r.MimeType, Size: r.Size}
	}
	return out
}

// queuedView is a queued message as ListQueued shows it (pos 1 is next).
func queuedView(q store.QueuedMessage, pos int) Queued {
	return Queued{ID: q.ID, Position: pos, Text: q.Text, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
		Attachments: refInfos(q.Attachments)}
}

// queuedTurn is the turn a queued message starts: its text and its files,
// read from the store, each at the path the agent is given.
func (m *Manager) queuedTurn(q store.QueuedMessage) (agent.UserTurn, error) {
	ut := agent.UserTurn{Text: q.Text}
	if len(q.Attachments) == 0 {
		return ut, nil
	}
	ao := m.o.Attachments
	if ao.Store == nil || ao.Dir == "" {
		return ut, &AttachmentError{Reason: AttachUnavailable}
	}
	for _, r := range q.Attachments {
		a, err := ao.Store.GetAttachment(q.SessionID, r.ID)
		if errors.Is(err, store.ErrNotFound) {
			return ut, fmt.Errorf("%w: attachment %q of the queued message is gone", ErrNotFound, r.Name)
		} else if err != nil {
			return ut, err
		}
		p, err := ensureSaved(ao.Dir, q.SessionID, a)
		if err != nil {
			return ut, err
		}
		ut.Attachments = append(ut.Attachments, agent.Attachment{ID: a.ID, Name: a.Name, MimeType: a.MimeType, Data: a.Data, Path: p})
	}
	return ut, nil
}

// ensureSaved returns the path of a's saved copy, writing it again from
// the store when it is missing.
func ensureSaved(dir, sessionID string, a store.Attachment) (string, error) {
	d := filepath.Join(dir, sessionID, a.ID)
	p := filepath.Join(d, SafeFileName(a.Name))
	if st, err := os.Stat(p); err == nil && st.Size() == int64(len(a.Data)) {
		return p, nil
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("cannot save attachment %q: %w", a.Name, err)
	}
	if err := os.WriteFile(p, a.Data, 0o600); err != nil {
		return "", fmt.Errorf("cannot save attachment %q: %w", a.Name, err)
	}
	return p, nil
}

// dropQueuedFiles removes the saved copies of a cancelled message's files
// (the store deletes their records with the message).
func (m *Manager) dropQueuedFiles(q store.QueuedMessage) {
	if len(q.Attachments) == 0 || m.o.Attachments.Dir == "" {
		return
	}
	ids := make([]string, len(q.Attachments))
	for i, r := range q.Attachments {
		ids[i] = r.ID
	}
	removeSaved(m.o.Attachments.Dir, q.SessionID, ids)
}
