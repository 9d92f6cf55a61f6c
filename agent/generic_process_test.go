package agent_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/event"
)

// TestHelperProcess is a fake text agent when re-executed with
// CORRAL_HELPER set: "echo" answers each stdin line, "silent" prints one
// line and then nothing until killed.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("CORRAL_HELPER") {
	case "echo":
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			fmt.Println("echo: " + sc.Text())
			fmt.Fprintln(os.Stderr, "note")
		}
		os.Exit(0)
	case "silent":
		fmt.Println("started")
		time.Sleep(time.Hour)
	}
}

func helperOpts(mode string) agent.SessionOptions {
	return agent.SessionOptions{
		Program: os.Args[0],
		Args:    []string{"-test.run=^TestHelperProcess$"},
		Env:     append(os.Environ(), "CORRAL_HELPER="+mode),
	}
}

func TestGenericTextAgentProcess(t *testing.T) {
	p := startProc(t, agent.Generic{}, helperOpts("echo"), nil)
	ctx := deadline(t)
	if err := p.Conn.SendUserTurn("hello"); err != nil {
		t.Fatal(err)
	}
	evs, err := p.Until(ctx, time.Minute, func(ev event.Event) bool { return ev.Kind == event.AssistantText })
	if err != nil {
		t.Fatal(err)
	}
	if got := agenttest.Data[agent.TextData](evs[len(evs)-1]).Text; got != "echo: hello\n" {
		t.Fatalf("text %q", got)
	}
	p.CloseStdin()
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// After exit every event is drained, then Next reports the exit.
	var exit *agenttest.ExitError
	for {
		if _, err = p.Next(ctx, time.Minute); err != nil {
			break
		}
	}
	if !errors.As(err, &exit) || exit.Err != nil {
		t.Fatalf("after exit: %v", err)
	}
}

func TestDriverIdleTimeoutKillsSilentAgent(t *testing.T) {
	p := startProc(t, agent.Generic{}, helperOpts("silent"), nil)
	ctx := deadline(t)
	_, err := p.Until(ctx, 300*time.Millisecond, func(event.Event) bool { return false })
	var idle *agenttest.IdleTimeoutError
	if !errors.As(err, &idle) {
		t.Fatalf("want idle timeout, got %v", err)
	}
	if err := p.Wait(ctx); err == nil {
		t.Fatal("silent agent was not killed")
	}
}
