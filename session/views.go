package session

import (
	"context"
	"encoding/json"
)

// Queries (Get, List, ListJSON) read a live session's state from the view
// its actor publishes, not by a round trip to the actor: a UI polling the
// list many times a second while agents stream would otherwise queue one
// command per live session per poll behind the agents' events (and start
// an actor goroutine for each idle one).
//
// The actor publishes after every message it handles, and a command
// publishes before it replies, so a caller that reads a session after its
// command returned sees what the command did.

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

// publishView stores l's view when it changed.
func (m *Manager) publishView(l *live) {
	v := l.snapshot()
	if old := l.view.Load(); old != nil && *old == v {
		return
	}
	l.view.Store(&v)
}

// encodedList is the last session list ListJSON encoded.
type encodedList struct {
	infos []Info
	raw   []byte
}

// ListJSON is List with the list also encoded as JSON, for the API to send
// as it is. The encoding is reused while the list is unchanged (most polls
// of a busy server: the store serves its records from its cache, and the
// live views change only with a session's state), since encoding the
// whole list on every poll was most of what a poll cost.
func (m *Manager) ListJSON(ctx context.Context) ([]Info, []byte, error) {
	infos, err := m.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	if c := m.list.Load(); c != nil && sameInfos(c.infos, infos) {
		return infos, c.raw, nil
	}
	raw, err := json.Marshal(orEmptyInfos(infos))
	if err != nil {
		return nil, nil, err
	}
	m.list.Store(&encodedList{infos: infos, raw: raw})
	return infos, raw, nil
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
	pa, pb, wa, wb, ia, ib := a.Process, b.Process, a.Workspace, b.Workspace, a.Imported, b.Imported
	a.Process, b.Process, a.Workspace, b.Workspace, a.Imported, b.Imported = nil, nil, nil, nil, nil, nil
	return a == b && samePtr(pa, pb) && samePtr(wa, wb) && samePtr(ia, ib)
}

// samePtr reports whether a and b are both nil or point to equal values.
func samePtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
