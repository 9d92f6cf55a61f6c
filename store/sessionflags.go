package store

import (
	"context"

	"github.com/corral-dev/corral/event"
)

// sessionFlagsSQL adds what a person decides about a session, beside what
// the agent does: pinned to the top of the list, archived (hidden unless
// asked for), and whether the title is one the person chose (an automatic
// title never replaces it).
const sessionFlagsSQL = `
ALTER TABLE sessions ADD COLUMN pinned     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN archived   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN title_user INTEGER NOT NULL DEFAULT 0;
`

// SetPinned pins a session to the top of the list or unpins it.
func (s *Store) SetPinned(ctx context.Context, id string, pinned bool) (Session, error) {
	return s.setFlags(ctx, id, "pin session", func(x *Session) { x.Pinned = pinned })
}

// SetArchived archives a session (clients hide it unless asked) or brings
// it back.
func (s *Store) SetArchived(ctx context.Context, id string, archived bool) (Session, error) {
	return s.setFlags(ctx, id, "archive session", func(x *Session) { x.Archived = archived })
}

// setFlags changes a session's flags and appends a session.updated event
// with them in the same transaction. Like a rename, it is not activity.
func (s *Store) setFlags(ctx context.Context, id, what string, fn func(*Session)) (Session, error) {
	var flags SessionUpdatedData
	update := s.updateSessionJob(id, "", func(x *Session) error {
		fn(x)
		pinned, archived := x.Pinned, x.Archived
		flags = SessionUpdatedData{Pinned: &pinned, Archived: &archived}
		return nil
	})
	out, err := s.writeJob(ctx, what, func(t *wtx) error {
		if err := update(t); err != nil {
			return err
		}
		return t.emitQuiet(id, event.SessionUpdated, flags)
	}, false)
	x, _ := out.(Session)
	return x, err
}

// emitQuiet appends an event of the session that does not count as its
// activity (a rename, a pin).
func (t *wtx) emitQuiet(id, kind string, data any) error {
	ev := event.New(kind, data)
	ev.SessionID, ev.Time = id, t.now
	prev, had := t.activity[id]
	if _, err := t.emit(ev); err != nil {
		return err
	}
	if had {
		t.activity[id] = prev
	} else {
		delete(t.activity, id)
	}
	return nil
}
