package store

import (
	"context"

	"github.com/corral-dev/corral/event"
)

// SessionUpdatedData is the Data of a session.updated event written by the
// store: the session's fields as they are after the change.
type SessionUpdatedData struct {
	Title string `json:"title"`
}

// RenameSession sets a session's title and appends a session.updated event
// to its stream in the same transaction, so every subscriber learns the new
// title. The title is stored as given (the caller validates it). Renaming
// is not activity: the session's last-activity time stays. It returns the
// updated record, or ErrNotFound.
func (s *Store) RenameSession(ctx context.Context, id, title string) (Session, error) {
	update := s.updateSessionJob(id, "", func(x *Session) error {
		x.Title = title
		return nil
	})
	out, err := s.writeJob(ctx, "rename session", func(t *wtx) error {
		if err := update(t); err != nil {
			return err
		}
		ev := event.New(event.SessionUpdated, SessionUpdatedData{Title: title})
		ev.SessionID, ev.Time = id, t.now
		prev, had := t.activity[id]
		if _, err := t.emit(ev); err != nil {
			return err
		}
		// emit counts every event of a session as activity; a rename is not.
		if had {
			t.activity[id] = prev
		} else {
			delete(t.activity, id)
		}
		return nil
	}, false)
	x, _ := out.(Session)
	return x, err
}
