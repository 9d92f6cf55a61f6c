package api

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/session"
)

// fakeImporter is fakeSessions with the Importer methods.
type fakeImporter struct {
	fakeSessions
	ierr error
}

func (f *fakeImporter) ListExternalSessions(_ context.Context, agentName, cwd string, limit int) ([]agent.ExternalSession, error) {
	return nil, errors.Join(f.rec(fmt.Sprintf("ListExternal %s %s %d", agentName, cwd, limit)), f.ierr)
}
func (f *fakeImporter) ImportSession(_ context.Context, agentName, id string) (session.ImportResult, error) {
	return session.ImportResult{Session: session.Info{ID: "s1"}}, errors.Join(f.rec("Import "+agentName+" "+id), f.ierr)
}

func TestImportMethods(t *testing.T) {
	ctx := context.Background()
	if _, err := New(&fakeSessions{}, nil).ListExternalSessions(ctx, ListExternalSessionsParams{Agent: "claude", Cwd: "/x"}); codeOf(err) != CodeInternal {
		t.Fatalf("without an importer: %v", err)
	}
	f := &fakeImporter{}
	a := New(f, nil)
	for _, p := range []ListExternalSessionsParams{{Cwd: "/x"}, {Agent: "claude"}, {Agent: "claude", Cwd: "rel"},
		{Agent: "claude", Cwd: "/x", Limit: -1}, {Agent: "claude", Cwd: "/x", Limit: MaxExternalSessions + 1}} {
		if _, err := a.ListExternalSessions(ctx, p); codeOf(err) != CodeInvalidArgument {
			t.Errorf("%+v: %v", p, err)
		}
	}
	res, err := a.ListExternalSessions(ctx, ListExternalSessionsParams{Agent: "claude", Cwd: "/x/y/../z/", Limit: 7})
	if err != nil || res.Sessions == nil || len(f.calls) != 1 || f.calls[0] != "ListExternal claude /x/z 7" {
		t.Fatalf("list: %+v %v %q", res, err, f.calls)
	}
	for _, p := range []ImportSessionParams{{Agent: "claude"}, {ExternalID: "x"}} {
		if _, err := a.ImportSession(ctx, p); codeOf(err) != CodeInvalidArgument {
			t.Errorf("%+v: %v", p, err)
		}
	}
	if r, err := a.ImportSession(ctx, ImportSessionParams{Agent: "codex", ExternalID: "t1"}); err != nil || r.Session.ID != "s1" {
		t.Fatalf("import: %+v %v", r, err)
	}
	for _, c := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("%w: no import: %w", session.ErrInvalid, agent.ErrNoImport), CodeInvalidArgument},
		{fmt.Errorf("%w: no file", session.ErrNotFound), CodeNotFound},
	} {
		f.ierr = c.err
		if _, err := a.ImportSession(ctx, ImportSessionParams{Agent: "codex", ExternalID: "t1"}); codeOf(err) != c.code {
			t.Errorf("%v: code %q", c.err, codeOf(err))
		}
	}
}

// codeOf is the API error code err maps to ("" for nil).
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return AsError(err).Code
}
