package store

import (
	"context"

	"github.com/corral-dev/corral/event"
)

// SessionUpdatedData is the Data of a session.updated event written by the
// store: the fields that changed, as they are after the change (a rename
// carries the title, a pin or an archive both flags).
type SessionUpdatedData struct {
	Title    string `json:"title,omitempty"`
	Pinned   *bool  `json:"pinned,omitempty"`
	Archived *bool  `json:"archived,omitempty"`
}

// RenameSession sets a session's title and appends a session.updated event
// to its stream in the same transaction, so every subscriber learns the new
// title. The title is stored as given (the caller validates it). Renaming
// is not activity: the session's last-activity time stays. It returns the
// updated record, or ErrNotFound.
func (s *Store) RenameSession(ctx context.Context, id, title string) (Session, error) {
	update := s.updateSessionJob(id, "", func(x *Session) error {
		x.Title, x.TitleByUser = title, true
		return nil
	})
	out, err := s.writeJob(ctx, "rename session", func(t *wtx) error {
		if err := update(t); err != nil {
			return err
		}
		// emit counts every event of a session as activity; a rename is not.
		return t.emitQuiet(id, event.SessionUpdated, SessionUpdatedData{Title: title})
	}, false)
	x, _ := out.(Session)
	return x, err
}
