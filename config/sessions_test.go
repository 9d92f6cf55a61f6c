package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSessionsTable(t *testing.T) {
	cfg, err := Parse([]byte("[sessions]\nidle_timeout = \"2m\"\nmax_idle_agents = 3\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sessions.IdleTimeout != 2*time.Minute || cfg.Sessions.MaxIdleAgents != 3 {
		t.Fatalf("%+v", cfg.Sessions)
	}
	cfg, err = Parse([]byte("[sessions]\nidle_timeout = \"never\"\nmax_idle_agents = -1\n"), "t.toml")
	if err != nil || cfg.Sessions.IdleTimeout >= 0 || cfg.Sessions.MaxIdleAgents != -1 {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, err = Parse(nil, "t.toml")
	if err != nil || !reflect.DeepEqual(cfg.Sessions, Sessions{}) {
		t.Fatalf("defaults %+v %v", cfg, err)
	}
	for in, want := range map[string]string{
		"idle_timeout = \"soon\"":              "idle_timeout",
		"idle_timeout = \"10ms\"":              "too short",
		"idle_timeout = 5":                     "idle_timeout",
		"max_idle_agents = 0":                  "max_idle_agents 0",
		"max_idle_agents = -2":                 "max_idle_agents -2",
		"max_idle = 1":                         "unknown key",
		"isolation = \"copy\"":                 "isolation",
		"setup = { \"rel/dir\" = \"npm-ci\" }": "absolute",
		"setup = { \"/src/app\" = \"\" }":      "names no capability",
	} {
		_, err := Parse([]byte("[sessions]\n"+in+"\n"), "t.toml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func TestSessionsIsolationAndSetup(t *testing.T) {
	cfg, err := Parse([]byte("[sessions]\nisolation = \"none\"\n[sessions.setup]\n\"/src/app\" = \"npm-ci\"\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sessions.Isolation != "none" || cfg.Sessions.Setup["/src/app"] != "npm-ci" {
		t.Fatalf("%+v", cfg.Sessions)
	}
}

func TestAgentDefaultEnvKey(t *testing.T) {
	cfg, err := Parse([]byte("[agents.claude]\n[agents.codex]\ndefault_env = false\n[agents.gemini]\ndefault_env = true\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Agents["claude"].NoDefaultEnv || !cfg.Agents["codex"].NoDefaultEnv || cfg.Agents["gemini"].NoDefaultEnv {
		t.Fatalf("%+v", cfg.Agents)
	}
}
