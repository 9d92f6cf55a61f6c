package api

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// SessionTitles stores a session's title and publishes the change
// (*store.Store implements it: the session.updated event goes out on the
// bus with the record's change).
type SessionTitles interface {
	RenameSession(ctx context.Context, sessionID, title string) (store.Session, error)
}

// WithSessionTitles enables RenameSession; without it the call fails with
// code internal ("not available").
func WithSessionTitles(t SessionTitles) Option { return func(a *API) { a.titles = t } }

// MaxTitleLength is the longest title RenameSession accepts, in characters
// (Unicode code points) after trimming.
const MaxTitleLength = 200

// RenameSessionParams are the parameters of RenameSession.
type RenameSessionParams struct {
	SessionID string `json:"sessionId"`
	Title     string `json:"title"`
}

// CleanTitle returns a user-given session title as it is stored: with
// the white space around it trimmed. It fails with invalid_argument when
// nothing is left, when more than MaxTitleLength characters are, or when
// the title is not valid UTF-8 or holds a line break or another control
// character (a title is one line).
func CleanTitle(title string) (string, error) {
	t := strings.TrimSpace(title)
	switch {
	case t == "":
		return "", Errorf(CodeInvalidArgument, "title is required")
	case !utf8.ValidString(t):
		return "", Errorf(CodeInvalidArgument, "title is not valid UTF-8")
	case utf8.RuneCountInString(t) > MaxTitleLength:
		return "", Errorf(CodeInvalidArgument, "title is longer than %d characters", MaxTitleLength)
	case strings.IndexFunc(t, unicode.IsControl) >= 0:
		return "", Errorf(CodeInvalidArgument, "title must be one line without control characters")
	}
	return t, nil
}

// RenameSession gives a session the title the user chose, in place of the
// one taken from its first message; every client sees it through a
// session.updated event.
func (a *API) RenameSession(ctx context.Context, p RenameSessionParams) (session.Info, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.Info{}, err
	}
	title, err := CleanTitle(p.Title)
	if err != nil {
		return session.Info{}, err
	}
	if a.titles == nil {
		return session.Info{}, Errorf(CodeInternal, "renaming sessions is not available in this build")
	}
	if _, err := a.titles.RenameSession(ctx, p.SessionID, title); err != nil {
		return session.Info{}, err
	}
	return a.sessions.Get(ctx, p.SessionID)
}
