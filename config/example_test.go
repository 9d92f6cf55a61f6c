package config

import "testing"

// The example in testdata is the one docs/config.md shows: it must load.
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load("testdata/example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Agents) != 4 || len(cfg.Capabilities) != 2 {
		t.Fatalf("%d agents, %d capabilities", len(cfg.Agents), len(cfg.Capabilities))
	}
	if got := cfg.Agents["gemini-acp"].Protocol; got != "acp" {
		t.Errorf("gemini-acp protocol %q", got)
	}
	if got := cfg.Agents["claude"].Protocol; got != "claude" {
		t.Errorf("claude protocol defaults to %q", got)
	}
}
