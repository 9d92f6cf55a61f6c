package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/corral-dev/corral/event"
)

// Permission request statuses.
const (
	PermissionPending = "pending"
	PermissionAllow   = "allow"
	PermissionDeny    = "deny"
	PermissionExpired = "expired"
)

// PermissionRequest is a tool-use approval asked by an agent, and its
// decision once made.
type PermissionRequest struct {
	ID        string          `json:"id"`
	SessionID string          `json:"sessionId"`
	RunID     string          `json:"runId,omitempty"`
	Tool      string          `json:"tool"`
	Input     json.RawMessage `json:"input,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
	ExpiresAt time.Time       `json:"expiresAt,omitzero"`
	Status    string          `json:"status"`
	DecidedBy string          `json:"decidedBy,omitempty"`
	DecidedAt time.Time       `json:"decidedAt,omitzero"`
	Message   string          `json:"message,omitempty"`
	Remember  bool            `json:"remember,omitempty"`
}

// Decision resolves a pending permission request.
type Decision struct {
	Decision string    // PermissionAllow, PermissionDeny or PermissionExpired
	By       string    // who decided: a user or client id, or "corral" for timeouts
	At       time.Time // zero means now
	Message  string
	Remember bool
}

// AddPermissionRequest records a pending request. (The agent adapter's
// permission.request event announces it; the store records it so that it
// survives restarts and can be audited.)
func (s *Store) AddPermissionRequest(ctx context.Context, p PermissionRequest) error {
	if p.ID == "" {
		return errors.New("store: permission request id is empty")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.opts.Now()
	}
	return s.write(ctx, "add permission request", addPermissionJob(p))
}

// addPermissionJob is the writer job of AddPermissionRequest.
func addPermissionJob(p PermissionRequest) func(t *wtx) error {
	var expires any
	if !p.ExpiresAt.IsZero() {
		expires = p.ExpiresAt.UnixNano()
	}
	return func(t *wtx) error {
		res, err := t.tx.ExecContext(t.ctx,
			"INSERT OR IGNORE INTO permissions(id, session_id, run_id, tool, input, created_at, expires_at, status) VALUES(?,?,?,?,?,?,?,?)",
			p.ID, p.SessionID, p.RunID, p.Tool, nullJSON(p.Input), p.CreatedAt.UnixNano(), expires, PermissionPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("permission request %q: %w", p.ID, ErrExists)
		}
		return nil
	}
}

// ResolvedData is the Data of a permission.resolved event written by the store.
type ResolvedData struct {
	RequestID string `json:"requestId"`
	Decision  string `json:"decision"`
	By        string `json:"by"`
	Message   string `json:"message,omitempty"`
	Remember  bool   `json:"remember,omitempty"`
}

// ResolvePermission records the decision on a pending request (who, when,
// what) and appends a permission.resolved event to its session in the same
// transaction. It returns ErrNotFound, or ErrResolved if the request was
// already decided (the first decision wins).
func (s *Store) ResolvePermission(ctx context.Context, id string, d Decision) (PermissionRequest, error) {
	if err := checkDecision(d); err != nil {
		return PermissionRequest{}, err
	}
	out, err := s.writeJob(ctx, "resolve permission", func(t *wtx) error {
		p, err := t.resolve(id, d)
		t.answer(p)
		return err
	}, false)
	p, _ := out.(PermissionRequest)
	return p, err
}

func (t *wtx) resolve(id string, d Decision) (PermissionRequest, error) {
	if d.At.IsZero() {
		d.At = t.now
	}
	p, err := scanPermission(t.tx.QueryRowContext(t.ctx, "SELECT "+permCols+" FROM permissions WHERE id=?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("permission request %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return p, err
	}
	if p.Status != PermissionPending {
		return p, fmt.Errorf("permission request %q is %s: %w", id, p.Status, ErrResolved)
	}
	if _, err := t.tx.ExecContext(t.ctx,
		"UPDATE permissions SET status=?, decided_by=?, decided_at=?, message=?, remember=? WHERE id=?",
		d.Decision, d.By, d.At.UnixNano(), d.Message, d.Remember, id); err != nil {
		return p, err
	}
	p.Status, p.DecidedBy, p.DecidedAt, p.Message, p.Remember = d.Decision, d.By, d.At, d.Message, d.Remember
	ev := event.New(event.PermissionResolved, ResolvedData{RequestID: id, Decision: d.Decision, By: d.By, Message: d.Message, Remember: d.Remember})
	ev.SessionID, ev.RunID, ev.Time = p.SessionID, p.RunID, d.At
	_, err = t.emit(ev)
	return p, err
}

const permCols = "id, session_id, run_id, tool, input, created_at, expires_at, status, decided_by, decided_at, message, remember"

func scanPermission(r scanner) (PermissionRequest, error) {
	var p PermissionRequest
	var input sql.NullString
	var created int64
	var expires, decided sql.NullInt64
	err := r.Scan(&p.ID, &p.SessionID, &p.RunID, &p.Tool, &input, &created, &expires, &p.Status, &p.DecidedBy, &decided, &p.Message, &p.Remember)
	if err != nil {
		return p, err
	}
	if input.Valid && input.String != "" {
		p.Input = json.RawMessage(input.String)
	}
	p.CreatedAt = time.Unix(0, created)
	if expires.Valid {
		p.ExpiresAt = time.Unix(0, expires.Int64)
	}
	if decided.Valid {
		p.DecidedAt = time.Unix(0, decided.Int64)
	}
	return p, nil
}

// PendingPermissions returns the pending requests of a session, or of all
// sessions when sessionID is "", oldest first.
func (s *Store) PendingPermissions(sessionID string) ([]PermissionRequest, error) {
	rows, err := s.rdb.Query("SELECT "+permCols+" FROM permissions WHERE status='pending' AND (?='' OR session_id=?) ORDER BY created_at, id", sessionID, sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PermissionRequest
	for rows.Next() {
		p, err := scanPermission(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// GetPermission returns one request (pending or decided) or ErrNotFound.
func (s *Store) GetPermission(id string) (PermissionRequest, error) {
	p, err := scanPermission(s.rdb.QueryRow("SELECT "+permCols+" FROM permissions WHERE id=?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("permission request %q: %w", id, ErrNotFound)
	}
	return p, err
}
