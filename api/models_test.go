package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

func TestModelModePinArchiveOverHTTP(t *testing.T) {
	e := startE2E(t, t.TempDir())
	defer e.close()
	st := e.stream("", 0)
	defer st.stop()

	repo := t.TempDir()
	sub := filepath.Join(repo, "web")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(sub, 0o755)
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": sub}, &sess)
	if sess.Project != repo {
		t.Fatalf("project %q, want the repository root %q", sess.Project, repo)
	}

	var models session.AgentModels
	e.call("ListModels", ListModelsParams{Agent: "fake"}, &models)
	if len(models.Models) == 0 || models.Models[0].ContextWindow == 0 || models.PlanMode != "plan" {
		t.Fatalf("models %+v", models)
	}

	var ch session.OptionChange
	e.call("SetModel", SetModelParams{SessionID: sess.ID, Model: models.Models[1].ID}, &ch)
	if ch.Value != models.Models[1].ID || ch.Applies != "live" {
		t.Fatalf("set model %+v", ch)
	}
	st.until(func(ev event.Event) bool { return ev.Kind == event.SessionOptions && ev.SessionID == sess.ID })
	e.call("SetPermissionMode", SetPermissionModeParams{SessionID: sess.ID, Mode: "plan"}, &ch)
	if ch.Value != "plan" || ch.Option != "permissionMode" {
		t.Fatalf("set mode %+v", ch)
	}

	var got session.Info
	e.call("PinSession", PinSessionParams{SessionID: sess.ID, Pinned: true}, &got)
	if !got.Pinned || got.Archived {
		t.Fatalf("pin answered %+v", got)
	}
	evs := st.until(func(ev event.Event) bool { return ev.Kind == event.SessionUpdated && ev.SessionID == sess.ID })
	var d store.SessionUpdatedData
	if json.Unmarshal(evs[len(evs)-1].Data, &d) != nil || d.Pinned == nil || !*d.Pinned {
		t.Fatalf("published %s", evs[len(evs)-1].Data)
	}
	e.call("ArchiveSession", ArchiveSessionParams{SessionID: sess.ID, Archived: true}, &got)
	if !got.Pinned || !got.Archived {
		t.Fatalf("archive answered %+v", got)
	}
	var list []session.Info
	e.call("ListSessions", struct{}{}, &list)
	if len(list) != 1 || !list[0].Archived || !list[0].Pinned || list[0].Model != models.Models[1].ID || list[0].PermissionMode != "plan" {
		t.Fatalf("listed %+v", list)
	}

	hdr := map[string]string{"Authorization": "Bearer " + testToken}
	for _, c := range []struct {
		method, body string
		status       int
		code, msg    string
	}{
		{"SetModel", `{"sessionId":"` + sess.ID + `","model":"-x"}`, 400, CodeInvalidArgument, "plain model"},
		{"SetPermissionMode", `{"sessionId":"` + sess.ID + `","mode":"nope"}`, 400, CodeInvalidArgument, "not one of"},
		{"PinSession", `{"sessionId":"s-missing","pinned":true}`, 404, CodeNotFound, ""},
		{"ListModels", `{}`, 400, CodeInvalidArgument, "agent"},
	} {
		status, body, _ := do(t, e.hs, "POST", "/api/call/"+c.method, c.body, hdr)
		if status != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) || !strings.Contains(body, c.msg) {
			t.Errorf("%s %s: %d %s", c.method, c.body, status, body)
		}
	}
}
