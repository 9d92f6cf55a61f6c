package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/session"
)

type agentsOnly struct {
	api.Sessions
	agents []session.AgentInfo
	err    error
}

func (a agentsOnly) Agents(context.Context) ([]session.AgentInfo, error) { return a.agents, a.err }

func TestShell(t *testing.T) {
	var asked struct{ title, start string }
	var shown string
	s := &Shell{
		ctx: context.Background,
		pickDir: func(_ context.Context, title, start string) (string, error) {
			asked.title, asked.start = title, start
			return "/home/u/src", nil
		},
		showInfo: func(_ context.Context, title, msg string) error { shown = title + "\n" + msg; return nil },
		facade: api.New(agentsOnly{agents: []session.AgentInfo{
			{Name: "claude", DisplayName: "Claude Code", Protocol: "claude", Status: "ok", Version: "2.1.197"},
			{Name: "codex", Status: "missing"},
			{Name: "fake", DisplayName: "Claude Code", Protocol: "claude", Status: "ok"},
		}}, nil),
		versions: Versions{Corral: "1.0.0", Commit: "0123456789abcdef", Built: "2026-11-26", Go: "go1.26.8", OS: "linux/amd64", Wails: "v2.15.0"},
	}
	r, err := s.PickDirectory(PickDirectoryParams{Start: "/home/u"})
	if err != nil || r.Path != "/home/u/src" || asked.start != "/home/u" || asked.title == "" {
		t.Fatalf("PickDirectory: %+v %v %+v", r, err, asked)
	}
	s.PickDirectory(PickDirectoryParams{Title: "Pick"})
	if asked.title != "Pick" {
		t.Fatal("title not passed")
	}

	info, err := s.About(api.Empty{})
	if err != nil || len(info.Agents) != 3 || info.Versions.Corral != "1.0.0" {
		t.Fatalf("About: %+v %v", info, err)
	}
	if _, err := s.ShowAbout(api.Empty{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"About corral", "corral 1.0.0", "commit 0123456789ab\n", "Wails v2.15.0",
		"Claude Code 2.1.197", "codex: missing", "fake (Claude Code): version unknown"} {
		if !strings.Contains(shown, want) {
			t.Errorf("About box lacks %q:\n%s", want, shown)
		}
	}

	s.facade = api.New(agentsOnly{err: errors.New("boom")}, nil)
	info, err = s.About(api.Empty{})
	if err != nil || info.AgentsError == "" || info.Agents == nil {
		t.Fatalf("About with failing agents: %+v %v", info, err)
	}
	if txt := aboutText(info); !strings.Contains(txt, "could not list agents: boom") {
		t.Fatalf("%s", txt)
	}
	if txt := aboutText(AboutInfo{}); !strings.Contains(txt, "none configured or found") {
		t.Fatalf("%s", txt)
	}
}
