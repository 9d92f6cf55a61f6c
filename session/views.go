package session

import (
	"context"
	"encoding/json"
	"time"

	"github.com/corral-dev/corral/store"
)

// Queries (Get, List, ListJSON) read a live session's state from the view
// its actor publishes, not by a round trip to the actor: a UI polling the
// list many times a second while agents stream would otherwise queue one
// command per live session per poll behind the agents' events (and start
// an actor goroutine for each idle one).
//
// The actor publishes after every message it handles, and a command
// publishes before it replies, so a caller that reads a session after its
// command returned sees what the command did. A status change is
// published at once, before it is queued for the store (setStatus), so a
// caller that reads a session on its session.status event sees it too.

// liveView is what queries read of a live session.
type liveView struct {
	status   Status
	pending  int
	run      string
	resumeID string
	proc     Proc
}

// snapshot is l's view now (on the actor, or before the actor exists).
func (l *live) snapshot() liveView {
	return liveView{status: l.status, pending: l.perms.len(), run: l.turn, resumeID: l.opts.ResumeID, proc: l.proc}
}

// publishView stores l's view when it changed, and counts the change.
func (m *Manager) publishView(l *live) {
	v := l.snapshot()
	if old := l.view.Load(); old != nil && *old == v {
		return
	}
	l.view.Store(&v)
	m.views.Add(1)
}

// recordGenerations is what a Recorder may offer (the store does) for the
// list cache: the count of its commits that wrote session records.
type recordGenerations interface{ RecordGeneration() int64 }

// encodedList is the last session list ListJSON made: the generations it
// was made at (record writes, live views) and when, and its encoding.
type encodedList struct {
	recGen int64
	views  uint64
	at     time.Time
	infos  []Info
	raw    []byte
}

// listReuse bounds how long ListJSON serves a list made while no record
// write and no live view changed since: what changes without either
// (activity times and event counts, which the store itself may report
// store.ActivityStaleness late, and the processes' memory and CPU) is then
// at most 1.5 × store.ActivityStaleness late.
const listReuse = store.ActivityStaleness / 2

// reusable is ListJSON's rule (pure): c, made at generations (recGen,
// views) at c.at, may be served at (nowRec, nowViews, now).
func reusable(c *encodedList, known bool, nowRec int64, nowViews uint64, now time.Time) bool {
	return c != nil && known && c.recGen == nowRec && c.views == nowViews &&
		!now.Before(c.at) && now.Sub(c.at) < listReuse
}

// ListJSON is List with the list also encoded as JSON, for the API to send
// as it is; the Infos are shared with other callers (do not modify them).
// A list made moments ago with no record write and no live state change
// since is served again (see listReuse), and an unchanged list keeps its
// encoding: a UI polling the list many times a second while agents stream
// costs a list per listReuse, and an encoding per change.
func (m *Manager) ListJSON(ctx context.Context) ([]Info, []byte, error) {
	g, known := m.o.Recorder.(recordGenerations)
	var rec int64
	if known {
		rec = g.RecordGeneration()
	}
	views, now := m.views.Load(), m.o.Now()
	old := m.list.Load()
	if reusable(old, known, rec, views, now) {
		return old.infos, old.raw, nil
	}
	infos, err := m.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	c := &encodedList{recGen: rec, views: views, at: now, infos: infos}
	if old != nil && sameInfos(old.infos, infos) {
		c.raw = old.raw
	} else if c.raw, err = json.Marshal(orEmptyInfos(infos)); err != nil {
		return nil, nil, err
	}
	m.list.Store(c)
	return infos, c.raw, nil
}

func orEmptyInfos(l []Info) []Info {
	if l == nil {
		return []Info{}
	}
	return l
}

// sameInfos reports whether two session lists encode the same.
func sameInfos(a, b []Info) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameInfo(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameInfo compares two Infos by value, what their pointers point to
// included.
func sameInfo(a, b Info) bool {
	same := samePtr(a.Process, b.Process) && samePtr(a.Workspace, b.Workspace) &&
		samePtr(a.Imported, b.Imported) && samePtr(a.AutoResume, b.AutoResume)
	a.Process, b.Process, a.Workspace, b.Workspace = nil, nil, nil, nil
	a.Imported, b.Imported, a.AutoResume, b.AutoResume = nil, nil, nil, nil
	return same && a == b
}

// samePtr reports whether a and b are both nil or point to equal values.
func samePtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
