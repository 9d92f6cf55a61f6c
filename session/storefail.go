package session

import (
	"context"
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
//
// The events the turn queued last (its tail) may not have reached a commit
// yet: settleTurn reports a loss of them against the turn once they have.
func (m *Manager) storeOutcome(l *live, st Status, why string) (Status, string) {
	cause := m.o.Recorder.LostCause()
	lostNow := m.o.Recorder.LostEvents(l.id)
	l.lostSeen = max(l.lostSeen, lostNow)
	st, why, lost := turnStoreOutcome(st, why, l.lostAtStart, lostNow, store.Code(cause))
	if lost {
		m.appendError(l, l.turn, lostCode(cause), why, lostAction)
	}
	return st, why
}

const lostAction = "free disk space in the data directory; the output that could not be stored is counted in an events.lost event"

// lostCode is the error type of lost output: the store's failure code,
// store_failed when it has none.
func lostCode(cause error) string {
	if code := store.Code(cause); code != "" {
		return code
	}
	return store.CodeStoreFailed
}

// settleTurn waits, off the actor, until everything the session queued up
// to the end of turn run has been committed or lost (Recorder.Sync), then
// posts the store's count of the session's lost events then to the actor
// (turnSettled). Shutdown waits for it.
func (m *Manager) settleTurn(l *live, run string) {
	m.settling.Add(1)
	go func() {
		defer m.settling.Done()
		// A failed commit is what this waits for: its error is no news.
		m.o.Recorder.Sync(context.Background())                                  // error ignored: see above
		m.post(l, turnSettledMsg{run: run, lost: m.o.Recorder.LostEvents(l.id)}) // error ignored: an ended session reports nothing
	}()
}

// turnSettled charges to turn run, which has ended, the session's events
// lost before the store settled it and not charged yet (its tail): an
// error event of that run says so, and a turn running now starts counting
// its own losses after them. The session's status stays (the turn's end
// already set it, and nothing leads from idle to error).
func (m *Manager) turnSettled(l *live, run string, lost int64) {
	var extra int64
	extra, l.lostSeen, l.lostAtStart = chargeSettled(l.lostSeen, l.lostAtStart, lost, l.turn != "")
	if extra == 0 {
		return
	}
	code := lostCode(m.o.Recorder.LostCause())
	m.appendError(l, run, code, fmt.Sprintf("%s: %d events of this turn could not be stored", code, extra), lostAction)
}

// chargeSettled is the charge of a settled turn: of the session's lost
// count once the store settled the turn (lost), what exceeds the count
// already charged (seen) is the turn's (extra); the new seen count is
// returned, and the start count of a running turn is raised past it. A
// pure function.
func chargeSettled(seen, atStart, lost int64, running bool) (extra, newSeen, newAtStart int64) {
	if lost <= seen {
		return 0, seen, atStart
	}
	if running {
		atStart = max(atStart, lost)
	}
	return lost - seen, lost, atStart
}

// turnSettledMsg: the store settled what turn run queued (settleTurn).
type turnSettledMsg struct {
	run  string
	lost int64
}

func (e turnSettledMsg) handle(m *Manager, l *live) { m.turnSettled(l, e.run, e.lost) }
func (turnSettledMsg) drop(*live, error)            {}

// keptByStore reports whether a failed store write was kept, to be applied
// by the store's next successful commit (see store.Unavailable.Kept).
func keptByStore(err error) bool {
	var u *store.Unavailable
	return errors.As(err, &u) && u.Kept
}
