package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func (m *Manager) addPendingLocked(ctx context.Context, l *live, d agent.PermissionRequestData, ev event.Event) {
	now := m.o.Now()
	p := &pending{storeID: l.id + "/" + d.RequestID, runID: l.turn}
	pr := store.PermissionRequest{ID: p.storeID, SessionID: l.id, RunID: l.turn, Tool: d.Tool, Input: d.Input, CreatedAt: now}
	if m.o.PermissionTimeout > 0 {
		pr.ExpiresAt = now.Add(m.o.PermissionTimeout)
	}
	// Persisted before it is announced: an answer can never find it missing.
	if err := m.o.Store.AddPermissionRequest(ctx, pr); err != nil {
		m.log.Error("cannot persist a permission request", "session", l.id, "err", err)
	}
	l.pending[d.RequestID] = p
	m.changed()
	// The timer runs from the moment the request is known (its callback
	// waits for l.mu, so it cannot act before this function returns).
	if m.o.PermissionTimeout > 0 {
		rid, timeout := d.RequestID, m.o.PermissionTimeout
		p.stop = m.o.AfterFunc(timeout, func() { m.expire(l, rid, timeout) })
	}
	m.append(ev)
	m.setStatusLocked(ctx, l, WaitingPermission, "")
}

// expire denies a request nobody answered in time.
func (m *Manager) expire(l *live, rid string, after time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.pending[rid]
	if !ok {
		return
	}
	msg := fmt.Sprintf("no answer within %v", after)
	if l.conn != nil {
		if err := l.conn.RespondPermission(agent.PermissionAnswer{RequestID: rid, Allow: false, Message: "Denied by corral: " + msg}); err != nil {
			m.log.Warn("cannot deny an expired permission request", "session", l.id, "err", err)
		}
	}
	m.resolveLocked(context.Background(), l, rid, p, store.Decision{Decision: store.PermissionExpired, By: "corral", Message: msg})
}

// resolveLocked records a decision (audit: who, when, what) and drops the
// request from the pending set.
func (m *Manager) resolveLocked(ctx context.Context, l *live, rid string, p *pending, d store.Decision) error {
	if p.stop != nil {
		p.stop()
	}
	delete(l.pending, rid)
	m.changed()
	_, err := m.o.Store.ResolvePermission(ctx, p.storeID, d)
	if len(l.pending) == 0 && l.status == WaitingPermission && l.turn != "" {
		m.setStatusLocked(ctx, l, Processing, "")
	}
	return err
}

// RespondPermission answers a pending request. The first answer wins; a
// later one (or one for an unknown request) is ErrConflict / ErrNotFound.
func (m *Manager) RespondPermission(ctx context.Context, a Answer) error {
	ctx = context.WithoutCancel(ctx) // see the Manager doc: changes are completed
	l, _, err := m.ensureLive(a.SessionID)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.pending[a.RequestID]
	if !ok {
		if rec, err := m.o.Store.GetPermission(a.SessionID + "/" + a.RequestID); err == nil {
			return fmt.Errorf("%w: permission request %s was already decided (%s by %s)", ErrConflict, a.RequestID, rec.Status, rec.DecidedBy)
		}
		return fmt.Errorf("permission request %q of session %s: %w", a.RequestID, a.SessionID, ErrNotFound)
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
	return m.resolveLocked(ctx, l, a.RequestID, p, store.Decision{Decision: dec, By: by, Message: a.Message, Remember: a.Remember})
}
