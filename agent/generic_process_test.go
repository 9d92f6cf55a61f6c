package agent_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
	case "version":
		fmt.Println("fakeagent 9.8.7 (test)")
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

// TestDiscoverReadsVersionFromRealProcess finds a wrapper that re-executes
// the test binary as a fake CLI and reads its --version output.
func TestDiscoverReadsVersionFromRealProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the wrapper is a shell script")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nCORRAL_HELPER=version exec " + os.Args[0] + " -test.run=^TestHelperProcess$\n"
	if err := os.WriteFile(filepath.Join(dir, "fakeagent"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	d := &agent.Discoverer{Getenv: func(k string) string {
		if k == "PATH" {
			return dir
		}
		return ""
	}, Home: t.TempDir()}
	f, err := d.Find(deadline(t), agent.CLISpec{Name: "fake", Command: "fakeagent"})
	if err != nil || f.Version != "9.8.7" || f.Source != "PATH" {
		t.Fatalf("%+v %v", f, err)
	}
}
