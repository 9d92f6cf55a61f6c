package session

import (
	"errors"
	"fmt"

	"github.com/corral-dev/corral/store"
)

// turnStoreOutcome is the status a turn ends with when the store lost
// events of the session during the turn (lostNow > lostAtStart): Error
// whatever the turn's own outcome, with the failure's code (storage_full
// for a full disk, store_failed otherwise) leading the reason, since the
// turn's output is incomplete. Otherwise st and why are returned as they
// are. A pure function.
func turnStoreOutcome(st Status, why string, lostAtStart, lostNow int64, code string) (Status, string, bool) {
	if lostNow <= lostAtStart {
		return st, why, false
	}
	if code == "" {
		code = store.CodeStoreFailed
	}
	return Error, fmt.Sprintf("%s: %d events of this turn could not be stored", code, lostNow-lostAtStart), true
}

// storeOutcome applies turnStoreOutcome to the session's running
// turn and, when the store lost events, appends the typed error event
// (type storage_full or store_failed) the UI shows.
func (m *Manager) storeOutcome(l *live, st Status, why string) (Status, string) {
	cause := m.o.Recorder.LostCause()
	st, why, lost := turnStoreOutcome(st, why, l.lostAtStart, m.o.Recorder.LostEvents(l.id), store.Code(cause))
	if lost {
		code := store.Code(cause)
		if code == "" {
			code = store.CodeStoreFailed
		}
		m.appendError(l, l.turn, code, why, "free disk space in the data directory; the output that could not be stored is counted in an events.lost event")
	}
	return st, why
}

// keptByStore reports whether a failed store write was kept, to be applied
// by the store's next successful commit (see store.Unavailable.Kept).
func keptByStore(err error) bool {
	var u *store.Unavailable
	return errors.As(err, &u) && u.Kept
}
