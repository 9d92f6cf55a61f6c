package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/session"
)

// Shell holds what only the desktop window offers besides the facade: the
// native folder picker and the About information. It is bound next to the
// facade (the page sees it as window.go.main.Shell) and follows the same
// shape, one params object in, (result, error) out, so the frontend can call
// it through the same adapter code. Browser mode has no Shell; a page tests
// for it before offering these.
type Shell struct {
	ctx func() context.Context
	// pickDir opens the native folder chooser; "" means cancelled.
	pickDir func(ctx context.Context, title, start string) (string, error)
	// showInfo shows a native message box.
	showInfo func(ctx context.Context, title, message string) error
	facade   *api.API
	versions Versions
}

// PickDirectoryParams configure the folder chooser.
type PickDirectoryParams struct {
	Title string `json:"title,omitempty"`
	// Start is the folder the chooser opens in (e.g. the current cwd).
	Start string `json:"start,omitempty"`
}

// PickDirectoryResult is the chosen folder; Path is "" when cancelled.
type PickDirectoryResult struct {
	Path string `json:"path"`
}

// AboutInfo is what the About box shows.
type AboutInfo struct {
	Versions Versions            `json:"versions"`
	Agents   []session.AgentInfo `json:"agents"`
	// AgentsError is set when the agents could not be listed.
	AgentsError string `json:"agentsError,omitempty"`
}

// PickDirectory opens the native folder chooser for a session's working
// directory.
func (s *Shell) PickDirectory(p PickDirectoryParams) (PickDirectoryResult, error) {
	title := p.Title
	if title == "" {
		title = "Choose the working directory"
	}
	path, err := s.pickDir(s.ctx(), title, p.Start)
	return PickDirectoryResult{Path: path}, err
}

// About returns the versions of corral and of the agent CLIs it detected.
func (s *Shell) About(_ api.Empty) (AboutInfo, error) {
	info := AboutInfo{Versions: s.versions, Agents: []session.AgentInfo{}}
	agents, err := s.facade.ListAgents(s.ctx(), api.Empty{})
	if err != nil {
		info.AgentsError = err.Error()
	} else {
		info.Agents = agents
	}
	return info, nil
}

// ShowAbout opens the native About box (the menu's "About corral" does the
// same).
func (s *Shell) ShowAbout(_ api.Empty) (api.Empty, error) {
	info, _ := s.About(api.Empty{})
	return api.Empty{}, s.showInfo(s.ctx(), "About corral", aboutText(info))
}

// aboutText renders the About box's message.
func aboutText(info AboutInfo) string {
	v := info.Versions
	var b strings.Builder
	fmt.Fprintf(&b, "corral %s\ncommit %s\nbuilt %s\n%s, %s, Wails %s\n\nAgents:\n", v.Corral, short(v.Commit), v.Built, v.Go, v.OS, v.Wails)
	switch {
	case info.AgentsError != "":
		fmt.Fprintf(&b, "  could not list agents: %s\n", info.AgentsError)
	case len(info.Agents) == 0:
		b.WriteString("  none configured or found\n")
	}
	for _, a := range info.Agents {
		// A built-in agent by its product name ("Claude Code"); a
		// configured one by its own name and what it speaks
		// ("fake (Claude Code)").
		name := a.Name
		switch {
		case a.DisplayName == "" || a.DisplayName == a.Name:
		case a.Name == a.Protocol || a.Protocol == "":
			name = a.DisplayName
		default:
			name = a.Name + " (" + a.DisplayName + ")"
		}
		switch {
		case a.Status == "ok" && a.Version != "":
			fmt.Fprintf(&b, "  %s %s\n", name, a.Version)
		case a.Status == "ok":
			fmt.Fprintf(&b, "  %s: version unknown\n", name)
		default:
			fmt.Fprintf(&b, "  %s: %s\n", name, a.Status)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
