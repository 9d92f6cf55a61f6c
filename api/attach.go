package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// The composer's methods: attachments of SendMessage, GetAttachment,
// ListCommands and ListFiles.

// Composer is what these methods need of the session manager
// (*session.Manager implements it). A Sessions without it fails them with
// code internal ("not available").
type Composer interface {
	SendWithAttachments(ctx context.Context, sessionID, text string, atts []session.NewAttachment) (string, error)
	Attachment(ctx context.Context, sessionID, id string) (store.Attachment, error)
	Commands(ctx context.Context, sessionID string) (session.CommandList, error)
	ListFiles(ctx context.Context, sessionID, query string, limit int) (session.FileList, error)
	AttachmentLimits() (file, message int64)
}

// AttachmentParam is one file of SendMessage: its name, MIME type and
// content in standard base64.
type AttachmentParam struct {
	Name     string `json:"name"`
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

// AttachmentDetails are the details of an invalid_argument error that
// refuses a message's attachments: Reason is session's (file_too_large,
// message_too_large, bad_name, bad_mime_type, empty) or bad_base64; Size
// and Limit are in bytes.
type AttachmentDetails = session.AttachmentError

// ReasonBadBase64: an attachment's data is not standard base64.
const ReasonBadBase64 = "bad_base64"

func (a *API) composer() (Composer, error) {
	c, ok := a.sessions.(Composer)
	if !ok {
		return nil, Errorf(CodeInternal, "attachments, commands and file lists are not available in this build")
	}
	return c, nil
}

// AttachmentQueue is the queue's side of a message with files
// (*session.Manager implements it): the message and its files wait in the
// queue while a turn runs. Without it SendMessage with attachments refuses
// during a turn (conflict).
type AttachmentQueue interface {
	SendOrQueueWithAttachments(ctx context.Context, sessionID, text string, atts []session.NewAttachment) (session.SendResult, error)
}

// sendWithAttachments is SendMessage of a message with files: a turn, or
// the queue while a turn runs.
func (a *API) sendWithAttachments(ctx context.Context, p SendMessageParams) (SendMessageResult, error) {
	c, err := a.composer()
	if err != nil {
		return SendMessageResult{}, err
	}
	atts, err := decodeAttachments(p.Attachments)
	if err != nil {
		return SendMessageResult{}, err
	}
	_, queue := a.sessions.(MessageQueue)
	if q, ok := a.sessions.(AttachmentQueue); ok && queue {
		r, err := q.SendOrQueueWithAttachments(ctx, p.SessionID, p.Text, atts)
		return SendMessageResult{RunID: r.RunID, Queued: r.Queued, MessageID: r.MessageID, Position: r.Position}, attachmentError(err)
	}
	run, err := c.SendWithAttachments(ctx, p.SessionID, p.Text, atts)
	return SendMessageResult{RunID: run}, attachmentError(err)
}

// decodeAttachments decodes the base64 of each file.
func decodeAttachments(ps []AttachmentParam) ([]session.NewAttachment, error) {
	out := make([]session.NewAttachment, len(ps))
	for i, p := range ps {
		b, err := base64.StdEncoding.DecodeString(p.Data)
		if err != nil {
			d := &AttachmentDetails{Reason: ReasonBadBase64, Name: p.Name}
			return nil, &Error{Code: CodeInvalidArgument, Message: fmt.Sprintf("attachment %q: data is not base64: %v", p.Name, err), Details: d}
		}
		out[i] = session.NewAttachment{Name: p.Name, MimeType: p.MimeType, Data: b}
	}
	return out, nil
}

// attachmentError gives a refusal of the attachments its details.
func attachmentError(err error) error {
	var ae *session.AttachmentError
	if errors.As(err, &ae) {
		code := CodeInvalidArgument
		if ae.Reason == session.AttachUnavailable {
			code = CodeInternal
		}
		return &Error{Code: code, Message: ae.Error(), Details: ae, err: err}
	}
	return err
}

// bodyLimit is the request body cap of method: SendMessage may carry a
// message's attachments in base64 (4/3 of their size) besides its text.
func (a *API) bodyLimit(method string, base int64) int64 {
	if method != "SendMessage" {
		return base
	}
	c, ok := a.sessions.(Composer)
	if !ok {
		return base
	}
	_, message := c.AttachmentLimits()
	return max(base, int64(base64.StdEncoding.EncodedLen(int(message)))+base)
}

// GetAttachmentParams name one attachment of a session.
type GetAttachmentParams struct {
	SessionID    string `json:"sessionId"`
	AttachmentID string `json:"attachmentId"`
}

// AttachmentResult is an attachment with its content in standard base64.
type AttachmentResult struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	MimeType string `json:"mimeType"`
	Size     int64  `json:"size"`
	Data     string `json:"data"`
}

// GetAttachment returns a file attached to one of the session's messages
// (the ids are in the attachments of its run.started events).
func (a *API) GetAttachment(ctx context.Context, p GetAttachmentParams) (AttachmentResult, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return AttachmentResult{}, err
	}
	if err := required("attachmentId", p.AttachmentID); err != nil {
		return AttachmentResult{}, err
	}
	c, err := a.composer()
	if err != nil {
		return AttachmentResult{}, err
	}
	x, err := c.Attachment(ctx, p.SessionID, p.AttachmentID)
	if err != nil {
		return AttachmentResult{}, attachmentError(err)
	}
	return AttachmentResult{ID: x.ID, Name: x.Name, MimeType: x.MimeType, Size: x.Size,
		Data: base64.StdEncoding.EncodeToString(x.Data)}, nil
}

// ListCommands returns the slash-command menu of a session: corral's own
// commands (supported or not for its agent, with a note) and the ones its
// agent advertised, with the agent's composer capabilities.
func (a *API) ListCommands(ctx context.Context, p SessionParams) (session.CommandList, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.CommandList{}, err
	}
	c, err := a.composer()
	if err != nil {
		return session.CommandList{}, err
	}
	return c.Commands(ctx, p.SessionID)
}

// ListFilesParams ask for the files of a session's working directory
// whose path matches Query (an @-mention being typed). Limit defaults to
// session.DefaultFilesLimit and is capped at session.MaxFilesLimit.
type ListFilesParams struct {
	SessionID string `json:"sessionId"`
	Query     string `json:"query"`
	Limit     int    `json:"limit,omitempty"`
}

// ListFiles lists files of the session's working directory for an
// @-mention: git's view of the work tree (tracked and untracked files not
// ignored) or, outside git, a bounded walk; bounded in count, depth and
// time.
func (a *API) ListFiles(ctx context.Context, p ListFilesParams) (session.FileList, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.FileList{}, err
	}
	if p.Limit < 0 {
		return session.FileList{}, Errorf(CodeInvalidArgument, "limit must not be negative")
	}
	c, err := a.composer()
	if err != nil {
		return session.FileList{}, err
	}
	return c.ListFiles(ctx, p.SessionID, p.Query, p.Limit)
}
