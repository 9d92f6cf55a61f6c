package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/store"
)

// AttachmentStore keeps the files attached to messages (*store.Store).
type AttachmentStore interface {
	AddAttachments(ctx context.Context, atts []store.Attachment) error
	DeleteAttachments(ctx context.Context, sessionID string, ids []string) error
	GetAttachment(sessionID, id string) (store.Attachment, error)
}

// AttachmentOptions configure attachments (Options.Attachments). Without
// a Store or a Dir, a message with attachments is refused (ErrInvalid).
type AttachmentOptions struct {
	// Store keeps each attachment with its session.
	Store AttachmentStore
	// Dir receives the copy an agent reads: Dir/<session>/<attachment>/<name>.
	Dir string
	// MaxFileSize and MaxMessageSize are the limits (0: config's
	// defaults, config.Attachments.Limits).
	MaxFileSize, MaxMessageSize int64
}

// Limits returns the per-file and per-message limits in effect.
func (o AttachmentOptions) Limits() (file, message int64) {
	return config.Attachments{MaxFileSize: o.MaxFileSize, MaxMessageSize: o.MaxMessageSize}.Limits()
}

// NewAttachment is a file a message carries, as the client sent it.
type NewAttachment struct {
	Name     string
	MimeType string
	Data     []byte
}

// AttachmentInfo describes a stored attachment in a run.started event
// (its data's "attachments") and in API results.
type AttachmentInfo struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
}

// AttachmentError refuses a message's attachments; it wraps ErrInvalid.
// Reason is one of the Attach* reasons; Name, Size and Limit say which
// file and which limit (Size and Limit in bytes; for
// AttachMessageTooLarge, Size is the message's total).
type AttachmentError struct {
	Reason string `json:"reason"`
	Name   string `json:"name,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Limit  int64  `json:"limit,omitempty"`
}

// Reasons of an AttachmentError.
const (
	AttachFileTooLarge    = "file_too_large"
	AttachMessageTooLarge = "message_too_large"
	AttachBadName         = "bad_name"
	AttachBadType         = "bad_mime_type"
	AttachEmpty           = "empty"
	AttachUnavailable     = "unavailable"
)

func (e *AttachmentError) Error() string {
	switch e.Reason {
	case AttachFileTooLarge:
		return fmt.Sprintf("attachment %q is %d bytes; the limit per file is %d bytes", e.Name, e.Size, e.Limit)
	case AttachMessageTooLarge:
		return fmt.Sprintf("the attachments of one message add up to %d bytes; the limit per message is %d bytes", e.Size, e.Limit)
	case AttachBadName:
		return fmt.Sprintf("attachment name %q is empty, not UTF-8 or holds a control character", e.Name)
	case AttachBadType:
		return fmt.Sprintf("attachment %q has no valid MIME type", e.Name)
	case AttachEmpty:
		return fmt.Sprintf("attachment %q is empty", e.Name)
	default:
		return "attachments are not available in this build"
	}
}

// Unwrap makes an AttachmentError an ErrInvalid.
func (e *AttachmentError) Unwrap() error { return ErrInvalid }

// CheckAttachments applies the limits to a message's attachments and
// refuses names and types no file can have; the first fault wins.
func CheckAttachments(atts []NewAttachment, maxFile, maxMessage int64) error {
	var total int64
	for _, a := range atts {
		n := int64(len(a.Data))
		switch {
		case strings.TrimSpace(a.Name) == "" || !utf8.ValidString(a.Name) || strings.IndexFunc(a.Name, unicode.IsControl) >= 0:
			return &AttachmentError{Reason: AttachBadName, Name: a.Name}
		case !validMimeType(a.MimeType):
			return &AttachmentError{Reason: AttachBadType, Name: a.Name}
		case n == 0:
			return &AttachmentError{Reason: AttachEmpty, Name: a.Name}
		case n > maxFile:
			return &AttachmentError{Reason: AttachFileTooLarge, Name: a.Name, Size: n, Limit: maxFile}
		}
		total += n
	}
	if total > maxMessage {
		return &AttachmentError{Reason: AttachMessageTooLarge, Size: total, Limit: maxMessage}
	}
	return nil
}

// validMimeType accepts type/subtype of plain token characters (no
// parameters).
func validMimeType(t string) bool {
	typ, sub, ok := strings.Cut(t, "/")
	return ok && token(typ) && token(sub)
}

func token(s string) bool {
	if s == "" || len(s) > 127 {
		return false
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (r == '-' || r == '+' || r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// SafeFileName is the name under which an attachment is saved for the
// agent: the base name of what the user gave, with every character other
// than letters, digits, '.', '-' and '_' replaced by '_', no leading dot,
// at most 100 bytes (the extension kept), "attachment" when nothing is
// left. Paths built from it need no quoting in any agent's prompt.
func SafeFileName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	var b strings.Builder
	for _, r := range name {
		if r < utf8.RuneSelf && (r == '.' || r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if len(s) > 100 {
		ext := filepath.Ext(s)
		if len(ext) > 20 {
			ext = ""
		}
		s = s[:100-len(ext)] + ext
	}
	if strings.Trim(s, "_.") == "" {
		return "attachment"
	}
	return s
}

// SendWithAttachments starts a turn with text and files, like Send. The
// files are checked against the limits (*AttachmentError), saved for the
// agent under the attachments directory, and stored with the session
// before the turn starts; a turn that cannot start takes them back out.
// The run.started event names them (AttachmentInfo).
func (m *Manager) SendWithAttachments(ctx context.Context, id, text string, atts []NewAttachment) (string, error) {
	r, err := m.sendAttached(ctx, id, text, atts, false)
	return r.RunID, err
}

// SendOrQueueWithAttachments is SendWithAttachments, or SendOrQueue: while
// a turn runs the message and its files wait in the session's queue (the
// files linked to the queued message in the store, so they survive a
// restart); they reach the agent when the message is sent, and are
// deleted when it is cancelled.
func (m *Manager) SendOrQueueWithAttachments(ctx context.Context, id, text string, atts []NewAttachment) (SendResult, error) {
	r, err := m.sendAttached(ctx, id, text, atts, true)
	if err == nil && r.Queued {
		m.durable(ctx, id)
	}
	return r, err
}

func (m *Manager) sendAttached(ctx context.Context, id, text string, atts []NewAttachment, queue bool) (SendResult, error) {
	if len(atts) == 0 {
		return m.send(ctx, id, agent.UserTurn{Text: text}, queue)
	}
	ao := m.o.Attachments
	if ao.Store == nil || ao.Dir == "" {
		return SendResult{}, &AttachmentError{Reason: AttachUnavailable}
	}
	maxFile, maxMessage := ao.Limits()
	if err := CheckAttachments(atts, maxFile, maxMessage); err != nil {
		return SendResult{}, err
	}
	if _, err := m.o.Recorder.GetSession(id); err != nil {
		return SendResult{}, err
	}
	saved, recs, err := saveAttachments(ao.Dir, id, atts)
	if err != nil {
		return SendResult{}, err
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	if err := ao.Store.AddAttachments(context.WithoutCancel(ctx), recs); err != nil {
		removeSaved(ao.Dir, id, ids)
		return SendResult{}, err
	}
	r, err := m.send(ctx, id, agent.UserTurn{Text: text, Attachments: saved}, queue)
	if err != nil && r.RunID == "" && !r.Queued {
		if derr := ao.Store.DeleteAttachments(context.WithoutCancel(ctx), id, ids); derr != nil {
			m.log.Warn("cannot remove the attachments of a message that was not sent", "session", id, "err", derr)
		}
		removeSaved(ao.Dir, id, ids)
	}
	return r, err
}

// saveAttachments writes each file to dir/<session>/<id>/<safe name> and
// returns the agent's view and the store's records.
func saveAttachments(dir, sessionID string, atts []NewAttachment) ([]agent.Attachment, []store.Attachment, error) {
	saved := make([]agent.Attachment, 0, len(atts))
	recs := make([]store.Attachment, 0, len(atts))
	var ids []string
	for _, a := range atts {
		id := newID("att-")
		d := filepath.Join(dir, sessionID, id)
		if err := os.MkdirAll(d, 0o700); err != nil {
			removeSaved(dir, sessionID, ids)
			return nil, nil, fmt.Errorf("cannot save attachment %q: %w", a.Name, err)
		}
		ids = append(ids, id)
		p := filepath.Join(d, SafeFileName(a.Name))
		if err := os.WriteFile(p, a.Data, 0o600); err != nil {
			removeSaved(dir, sessionID, ids)
			return nil, nil, fmt.Errorf("cannot save attachment %q: %w", a.Name, err)
		}
		mime := strings.ToLower(a.MimeType)
		saved = append(saved, agent.Attachment{ID: id, Name: a.Name, MimeType: mime, Data: a.Data, Path: p})
		recs = append(recs, store.Attachment{ID: id, SessionID: sessionID, Name: a.Name, MimeType: mime, Data: a.Data})
	}
	return saved, recs, nil
}

func removeSaved(dir, sessionID string, ids []string) {
	for _, id := range ids {
		os.RemoveAll(filepath.Join(dir, sessionID, id)) // error ignored: best effort, the file is no longer used
	}
}

// removeSessionAttachments deletes the saved copies of a deleted session.
func (m *Manager) removeSessionAttachments(id string) {
	if dir := m.o.Attachments.Dir; dir != "" && id != "" {
		if err := os.RemoveAll(filepath.Join(dir, id)); err != nil {
			m.log.Warn("cannot remove the attachments of a deleted session", "session", id, "err", err)
		}
	}
}

// Attachment returns one stored attachment of a session with its content.
func (m *Manager) Attachment(_ context.Context, sessionID, id string) (store.Attachment, error) {
	if m.o.Attachments.Store == nil {
		return store.Attachment{}, &AttachmentError{Reason: AttachUnavailable}
	}
	a, err := m.o.Attachments.Store.GetAttachment(sessionID, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("%w: attachment %q of session %q", ErrNotFound, id, sessionID)
	}
	return a, err
}

// attachmentInfos is what a run.started event says of a turn's files.
func attachmentInfos(atts []agent.Attachment) []AttachmentInfo {
	out := make([]AttachmentInfo, len(atts))
	for i, a := range atts {
		out[i] = AttachmentInfo{ID: a.ID, Name: a.Name, MimeType: a.MimeType, Size: int64(len(a.Data))}
	}
	return out
}

// attachmentOptions are the runtime's: the store, a directory in the data
// directory, the configured limits.
func attachmentOptions(dataDir string, st AttachmentStore, c config.Attachments) AttachmentOptions {
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs // the agent is given absolute paths
	}
	return AttachmentOptions{Store: st, Dir: filepath.Join(dataDir, "attachments"),
		MaxFileSize: c.MaxFileSize, MaxMessageSize: c.MaxMessageSize}
}

// AttachmentLimits returns the per-file and per-message limits in effect.
func (m *Manager) AttachmentLimits() (file, message int64) { return m.o.Attachments.Limits() }
