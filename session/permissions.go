package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// addPendingLocked registers the agent's permission request with the
// broker, records it (queued before the event that announces it, so an
// answer can never find it missing), arms its expiry, and announces it.
func (m *Manager) addPendingLocked(l *live, d agent.PermissionRequestData, ev event.Event) {
	pr := l.perms.ask(l.id, l.turn, d.RequestID, d.Tool, d.Input, m.o.Now())
	m.record("persist a permission request", l.id, m.o.Recorder.QueueAddPermissionRequest(pr))
	// The timer runs from the moment the request is known (its callback
	// waits for l.mu, so it cannot act before this function returns).
	if m.o.PermissionTimeout > 0 {
		rid := d.RequestID
		l.permStop[rid] = m.o.AfterFunc(m.o.PermissionTimeout, func() { m.expire(l, rid) })
	}
	m.append(ev)
	m.applyTurnLocked(l, inPermissionAsked{})
}

// expire denies a request nobody answered in time.
func (m *Manager) expire(l *live, rid string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, d, ok := l.perms.expire(rid)
	if !ok {
		return
	}
	if l.conn != nil {
		if err := l.conn.RespondPermission(agent.PermissionAnswer{RequestID: rid, Allow: false, Message: "Denied by corral: " + d.Message}); err != nil {
			m.log.Warn("cannot deny an expired permission request", "session", l.id, "err", err)
		}
	}
	m.resolveLocked(l, rid, p, d)
}

// resolveLocked records the decision on p, which was taken from the
// broker (audit: who, when, what), and cancels its expiry.
func (m *Manager) resolveLocked(l *live, rid string, p pendingReq, d store.Decision) {
	if stop := l.permStop[rid]; stop != nil {
		stop()
	}
	delete(l.permStop, rid)
	m.record("resolve a permission request", l.id, m.o.Recorder.QueueResolvePermission(p.StoreID, d))
	if l.perms.len() == 0 {
		m.applyTurnLocked(l, inPermissionsSettled{})
	}
}

// RespondPermission answers a pending request. The first answer wins; a
// later one (or one for an unknown request) is ErrConflict / ErrNotFound.
func (m *Manager) RespondPermission(ctx context.Context, a Answer) error {
	l, _, err := m.ensureLive(a.SessionID)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.perms.pending[a.RequestID]; !ok {
		l.mu.Unlock()
		err := m.decidedError(ctx, a)
		l.mu.Lock()
		return err
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
		m.resolveLocked(l, a.RequestID, p, store.Decision{Decision: dec, By: by, Message: a.Message, Remember: a.Remember})
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
