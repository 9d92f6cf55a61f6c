package session

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
)

func TestSetModelAndModeOfALiveSession(t *testing.T) {
	rt := openRT(t, t.TempDir(), nil)
	defer closeRT(t, rt)
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir(), Model: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	ch, err := m.SetModel(ctx, info.ID, "m2")
	if err != nil || ch.Applies != agent.SwitchLive || ch.Previous != "m1" || ch.Value != "m2" || ch.Option != OptionModel {
		t.Fatalf("set model: %+v %v", ch, err)
	}
	evs := w.until(kind(event.SessionOptions))
	var d OptionChange
	if json.Unmarshal(evs[len(evs)-1].Data, &d) != nil || d != ch {
		t.Fatalf("history event %s", evs[len(evs)-1].Data)
	}
	if ch, err = m.SetPermissionMode(ctx, info.ID, "plan"); err != nil || ch.Applies != agent.SwitchLive || ch.Value != "plan" {
		t.Fatalf("set mode: %+v %v", ch, err)
	}
	if err := rt.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Get(ctx, info.ID)
	if got.Model != "m2" || got.PermissionMode != "plan" {
		t.Fatalf("record %+v", got)
	}

	// Refused: a mode that skips approvals without the opt-in, a value
	// that is not plain; nothing changes.
	var denied *policy.Denied
	if _, err := m.SetPermissionMode(ctx, info.ID, "bypassPermissions"); !errors.As(err, &denied) {
		t.Fatalf("unsafe mode: %v", err)
	}
	if _, err := m.SetModel(ctx, info.ID, "--model=evil"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("flag-like model: %v", err)
	}

	// Without a process the change waits for the next start, which uses it.
	if err := m.Stop(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SetModel(ctx, info.ID, "m3"); !errors.Is(err, ErrConflict) {
		t.Fatalf("terminated session: %v", err)
	}
	if _, err := m.SetModel(ctx, "s-missing", "m3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing session: %v", err)
	}
}

func TestSetModelWithoutProcessAppliesOnNextStart(t *testing.T) {
	rt := openRT(t, t.TempDir(), nil)
	defer closeRT(t, rt)
	ctx := context.Background()
	m := rt.Manager
	info, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// Stopped as the idle cleanup stops an agent: the session stays.
	l := mustLive(t, m, info.ID)
	p, _ := call(m, l, func() (Proc, error) {
		l.retiring = true
		l.proc.Stop()
		return l.proc, nil
	})
	<-p.Done()
	ch, err := m.SetModel(ctx, info.ID, "m9")
	if err != nil || ch.Applies != agent.SwitchNextStart {
		t.Fatalf("%+v %v", ch, err)
	}
	w := watch(t, rt, info.ID, 0)
	if _, err := m.Send(ctx, info.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	w.until(kind(event.TurnCompleted))
	model, _ := call(m, l, func() (string, error) { return l.opts.Model, nil })
	if model != "m9" {
		t.Fatalf("next start with model %q", model)
	}
}

func mustLive(t *testing.T, m *Manager, id string) *live {
	t.Helper()
	l, _, err := m.ensureLive(id)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestModelsPerAgent(t *testing.T) {
	rt := openRT(t, t.TempDir(), nil)
	defer closeRT(t, rt)
	m := rt.Manager
	got, err := m.Models("fake") // a claude-protocol agent
	if err != nil || len(got.Models) == 0 || got.PlanMode != "plan" || got.ModelSwitch != agent.SwitchLive || len(got.Limits) != 0 {
		t.Fatalf("fake: %+v %v", got, err)
	}
	for _, md := range got.PermissionModes {
		if md == "bypassPermissions" {
			t.Fatal("offered an unsafe mode without the opt-in")
		}
	}
	g, err := m.Models("gemini")
	if err != nil || g.ModelSwitch != agent.SwitchNextStart || len(g.Limits) != 2 || g.Limits[0] != "Gemini CLI: a model change applies on the next start of the agent" {
		t.Fatalf("gemini: %+v %v", g, err)
	}
	if _, err := m.Models("nope"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown agent: %v", err)
	}
}
