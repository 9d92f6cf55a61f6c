package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// addPending registers the agent's permission request with the
// broker, records it (queued before the event that announces it, so an
// answer can never find it missing), arms its expiry, and announces it.
func (m *Manager) addPending(l *live, d agent.PermissionRequestData, ev event.Event) {
	pr := l.perms.ask(l.id, l.turn, d.RequestID, d.Tool, d.Input, m.o.Now())
	m.record("persist a permission request", l.id, m.o.Recorder.QueueAddPermissionRequest(pr))
	// The timer runs from the moment the request is known; its firing is
	// a message to the actor, so it cannot act before this returns.
	if m.o.PermissionTimeout > 0 {
		rid := d.RequestID
		if old, ok := l.permStop[rid]; ok {
			old.stop()
		}
		l.permGen++
		gen := l.permGen
		l.permStop[rid] = armed{gen: gen, stop: m.o.AfterFunc(m.o.PermissionTimeout, func() {
			m.post(l, permExpiryMsg{rid: rid, gen: gen}) // error ignored: an ended session has nothing pending
		})}
	}
	m.append(ev)
	m.applyTurn(l, inPermissionAsked{})
}

// expire denies a request nobody answered in time: its timer number gen
// fired (a timer of an earlier request with the same id does nothing).
func (m *Manager) expire(l *live, rid string, gen uint64) {
	if a, ok := l.permStop[rid]; !ok || a.gen != gen {
		return
	}
	p, d, ok := l.perms.expire(rid)
	if !ok {
		return
	}
	if l.conn != nil {
		if err := l.conn.RespondPermission(agent.PermissionAnswer{RequestID: rid, Allow: false, Message: "Denied by corral: " + d.Message}); err != nil {
			m.log.Warn("cannot deny an expired permission request", "session", l.id, "err", err)
		}
	}
	m.resolve(l, rid, p, d)
}

// resolve records the decision on p, which was taken from the
// broker (audit: who, when, what), and cancels its expiry.
func (m *Manager) resolve(l *live, rid string, p pendingReq, d store.Decision) {
	if a, ok := l.permStop[rid]; ok {
		a.stop()
		delete(l.permStop, rid)
	}
	m.record("resolve a permission request", l.id, m.o.Recorder.QueueResolvePermission(p.StoreID, d))
	if l.perms.len() == 0 {
		m.applyTurn(l, inPermissionsSettled{})
	}
}

// RespondPermission answers a pending request. The first answer wins; a
// later one (or one for an unknown request) is ErrConflict / ErrNotFound.
func (m *Manager) RespondPermission(ctx context.Context, a Answer) error {
	l, _, err := m.ensureLive(a.SessionID)
	if err != nil {
		return err
	}
	err = do(m, l, func() error { return m.respond(l, a) })
	if errors.Is(err, errNotPending) {
		// Read outside the actor: it waits for the store.
		return m.decidedError(ctx, a)
	}
	return err
}

// errNotPending: the answer is for no pending request (see decidedError).
var errNotPending = errors.New("session: no such pending permission request")

// respond passes a to the agent and records the decision (on the actor).
func (m *Manager) respond(l *live, a Answer) error {
	if _, ok := l.perms.pending[a.RequestID]; !ok {
		return errNotPending
	}
	if l.conn == nil {
		return fmt.Errorf("%w: the agent of session %s is not running", ErrConflict, a.SessionID)
	}
	if err := l.conn.RespondPermission(agent.PermissionAnswer{RequestID: a.RequestID, Allow: a.Allow, Input: a.Input,
		Message: a.Message, Remember: a.Remember}); err != nil {
		if errors.Is(err, agent.ErrNoSuchRequest) {
			return fmt.Errorf("%w: the agent no longer waits for %s", ErrConflict, a.RequestID)
		}
		return err
	}
	dec := store.PermissionDeny
	if a.Allow {
		dec = store.PermissionAllow
	}
	by := a.By
	if by == "" {
		by = "user"
	}
	if p, ok := l.perms.take(a.RequestID); ok {
		m.resolve(l, a.RequestID, p, store.Decision{Decision: dec, By: by, Message: a.Message, Remember: a.Remember})
	}
	return nil
}

// decidedError says why a is not for a pending request: it was decided
// (ErrConflict, with who decided), or never existed (ErrNotFound). The
// decision may still be in the store's queue: this reply waits for it.
func (m *Manager) decidedError(ctx context.Context, a Answer) error {
	if err := m.o.Recorder.Sync(ctx); err != nil {
		m.log.Warn("cannot read a permission decision", "session", a.SessionID, "err", err)
	}
	if rec, err := m.o.Recorder.GetPermission(a.SessionID + "/" + a.RequestID); err == nil {
		return fmt.Errorf("%w: permission request %s was already decided (%s by %s)", ErrConflict, a.RequestID, rec.Status, rec.DecidedBy)
	}
	return fmt.Errorf("permission request %q of session %s: %w", a.RequestID, a.SessionID, ErrNotFound)
}
