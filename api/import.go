package api

import (
	"context"
	"path/filepath"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/session"
)

// Importer lists and imports the conversations agent CLIs keep in their
// own files (*session.Manager implements it). The facade uses its
// Sessions backend when it implements Importer.
type Importer interface {
	ListExternalSessions(ctx context.Context, agentName, cwd string, limit int) ([]agent.ExternalSession, error)
	ImportSession(ctx context.Context, agentName, externalID string) (session.ImportResult, error)
}

// MaxExternalSessions is the most entries ListExternalSessions returns.
const MaxExternalSessions = 200

// ListExternalSessionsParams are the parameters of ListExternalSessions.
type ListExternalSessionsParams struct {
	Agent string `json:"agent"`
	Cwd   string `json:"cwd"`
	// Limit is the most entries: 50 when 0, at most MaxExternalSessions.
	Limit int `json:"limit,omitempty"`
}

// ListExternalSessionsResult holds the conversations, newest first.
type ListExternalSessionsResult struct {
	Sessions []agent.ExternalSession `json:"sessions"`
}

// ImportSessionParams are the parameters of ImportSession.
type ImportSessionParams struct {
	Agent      string `json:"agent"`
	ExternalID string `json:"externalId"`
}

func (a *API) importer() (Importer, error) {
	imp, ok := a.sessions.(Importer)
	if !ok {
		return nil, Errorf(CodeInternal, "importing sessions is not available in this build")
	}
	return imp, nil
}

// ListExternalSessions lists, read-only, the conversations an agent's CLI
// (Claude Code, Codex) keeps in its own files for a directory, newest
// first (docs/api.md "Importing conversations").
func (a *API) ListExternalSessions(ctx context.Context, p ListExternalSessionsParams) (ListExternalSessionsResult, error) {
	if err := required("agent", p.Agent); err != nil {
		return ListExternalSessionsResult{}, err
	}
	if err := required("cwd", p.Cwd); err != nil {
		return ListExternalSessionsResult{}, err
	}
	if !filepath.IsAbs(p.Cwd) {
		return ListExternalSessionsResult{}, Errorf(CodeInvalidArgument, "cwd %q must be an absolute path", p.Cwd)
	}
	if p.Limit < 0 || p.Limit > MaxExternalSessions {
		return ListExternalSessionsResult{}, Errorf(CodeInvalidArgument, "limit must be between 0 and %d", MaxExternalSessions)
	}
	imp, err := a.importer()
	if err != nil {
		return ListExternalSessionsResult{}, err
	}
	list, err := imp.ListExternalSessions(ctx, p.Agent, filepath.Clean(p.Cwd), p.Limit)
	if err != nil {
		return ListExternalSessionsResult{}, err
	}
	if list == nil {
		list = []agent.ExternalSession{}
	}
	return ListExternalSessionsResult{Sessions: list}, nil
}

// ImportSession opens one of those conversations as a corral session that
// resumes it, with its past messages in the session's history. A
// conversation imported before returns the session made then, with
// alreadyImported set.
func (a *API) ImportSession(ctx context.Context, p ImportSessionParams) (session.ImportResult, error) {
	if err := required("agent", p.Agent); err != nil {
		return session.ImportResult{}, err
	}
	if err := required("externalId", p.ExternalID); err != nil {
		return session.ImportResult{}, err
	}
	imp, err := a.importer()
	if err != nil {
		return session.ImportResult{}, err
	}
	return imp.ImportSession(ctx, p.Agent, p.ExternalID)
}
