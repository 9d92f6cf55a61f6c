package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/internal/fakeagent"
)

func TestReloadAppliesAgentsAndSessions(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	agentTable := func(name string) string {
		return fmt.Sprintf("[agents.%s]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\" }\n", name, exe, fakeagent.EnvVar)
	}
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(agentTable("fake"))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	if _, err := rt.Manager.Create(ctx, CreateOptions{Agent: "later", Cwd: t.TempDir()}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown agent: %v", err)
	}

	write(agentTable("fake") + agentTable("later") + "[sessions]\nidle_timeout = \"2m\"\nmax_idle_agents = 1\n" +
		"[[capability]]\nname = \"echo\"\nprogram = \"/bin/echo\"\n")
	res, err := rt.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != path || !slices.Equal(res.Applied, []string{"agents", "sessions", "budget"}) || !slices.Equal(res.RestartNeeded, []string{"capability"}) {
		t.Fatalf("%+v", res)
	}
	if st := rt.Manager.settings.get(); st.idleTimeout.Minutes() != 2 || st.maxIdleAgents != 1 {
		t.Fatalf("sessions not applied: %+v", st)
	}
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "later", Cwd: t.TempDir()})
	if err != nil {
		t.Fatalf("the new agent does not start: %v", err)
	}
	w := watch(t, rt, info.ID, 0)
	if _, err := rt.Manager.Send(ctx, info.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))

	// A broken file changes nothing.
	write("[agents.later\n")
	if _, err := rt.Reload(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("broken file: %v", err)
	}
	if _, ok := rt.Manager.agentConfig("later"); !ok {
		t.Fatal("a failed reload dropped the agents")
	}
}

// writeConfig writes s to path and returns it.
func writeConfig(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReloadReportsRestartUntilInEffect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	writeConfig(t, path, "[limits]\ntimeout = \"1h\"\n")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)

	writeConfig(t, path, "[limits]\ntimeout = \"2h\"\n[server]\nno_open = true\n")
	for i := range 2 {
		// The second reload reads the same file: the changes are still
		// not in effect, so they still need a restart.
		res, err := rt.Reload()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.RestartNeeded, []string{"limits", "server"}) {
			t.Fatalf("reload %d: %+v", i+1, res)
		}
	}
	// Back to the configuration corral started with: nothing to restart for.
	writeConfig(t, path, "[limits]\ntimeout = \"1h\"\n")
	res, err := rt.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.RestartNeeded) != 0 {
		t.Fatalf("reverted file: %+v", res)
	}
}

func TestReloadKeepsPolicyUntilRestart(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	empty, sidecars := t.TempDir(), t.TempDir()
	prog := filepath.Join(sidecars, "sideagent")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\nexec "+exe+" \"$@\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	agents := "[agents.side]\ncommand = \"sidecar:sideagent\"\nprotocol = \"claude\"\n"
	writeConfig(t, path, agents+"[policy]\nsidecar_dir = "+fmt.Sprintf("%q", empty)+"\n")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	sidePath := func() (string, string) {
		t.Helper()
		list, err := rt.Manager.Agents(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list {
			if a.Name == "side" {
				return a.Status, a.Path
			}
		}
		t.Fatal("agent side not listed")
		return "", ""
	}
	if st, p := sidePath(); st != "missing" {
		t.Fatalf("before reload: %s %s", st, p)
	}

	// [policy] needs a restart: the new sidecar directory is not searched
	// by the next launch, though the reload reports it.
	writeConfig(t, path, agents+"[policy]\nsidecar_dir = "+fmt.Sprintf("%q", sidecars)+"\n")
	res, err := rt.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.RestartNeeded, []string{"policy"}) {
		t.Fatalf("%+v", res)
	}
	if st, p := sidePath(); st != "missing" {
		t.Fatalf("the reload applied [policy]: %s %s", st, p)
	}
	info, err := rt.Manager.Create(context.Background(), CreateOptions{Agent: "side", Cwd: t.TempDir()})
	if err == nil {
		_, err = rt.Manager.Send(context.Background(), info.ID, "hi")
	}
	if err == nil || !strings.Contains(err.Error(), "sidecar") {
		t.Fatalf("an agent launch used the reloaded [policy]: %v", err)
	}
}
