package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	if res.Path != path || !slices.Equal(res.Applied, []string{"agents", "sessions"}) || !slices.Equal(res.RestartNeeded, []string{"capability"}) {
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
