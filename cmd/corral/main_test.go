package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/internal/proctest"
	"github.com/corral-dev/corral/supervise"
)

// The test binary doubles as the corral binary: with corralMainEnv set it
// runs main, so the tests drive the real command line end to end. It is
// also the fake agent of the tests' configurations (fakeAgentConfig): the
// shipped corral has no such role.
const corralMainEnv = "CORRAL_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervise.WatchdogArg {
		// corral serve and run, started from this binary, re-execute it as
		// their watchdog.
		os.Exit(supervise.RunWatchdog(os.Stdin))
	}
	if fakeagent.Enabled() {
		os.Exit(fakeagent.Main(os.Stdin, os.Stdout))
	}
	if os.Getenv(corralMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// corral returns a command running this binary as corral with args, marked
// so that anything it leaves running is found.
func corral(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), corralMainEnv+"=1", mark)
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !asExitError(err, &ee) {
		t.Fatalf("not an exit error: %v", err)
	}
	return ee.ExitCode()
}

func asExitError(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}

func TestRunPassesStreamsAndExitCode(t *testing.T) {
	cmd := corral(t, "run", "--", "sh", "-c", "echo hi; echo err >&2; printf 'raw\\377\\000'; exit 3")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := exitCode(t, cmd.Run())
	if code != 3 || out.String() != "hi\nraw\xff\x00" || errb.String() != "err\n" {
		t.Fatalf("code %d stdout %q stderr %q", code, out.String(), errb.String())
	}
}

func TestRunJSONTagsEveryLine(t *testing.T) {
	cmd := corral(t, "run", "--json", "--", "sh", "-c", "echo hi; echo err >&2; exit 3")
	out, err := cmd.Output()
	if code := exitCode(t, err); code != 3 {
		t.Fatalf("code %d", code)
	}
	s := string(out)
	for _, want := range []string{`"stream":"stdout","seq":`, `"text":"hi"`, `"stream":"stderr"`, `"text":"err"`, `"stream":"exit"`, `"code":3`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s:\n%s", want, s)
		}
	}
	if n := strings.Count(s, "\n"); n != 3 {
		t.Errorf("%d lines, want 3:\n%s", n, s)
	}
}

func TestRunStdinPassesThrough(t *testing.T) {
	cmd := corral(t, "run", "--", "cat")
	cmd.Stdin = strings.NewReader("line one\nline two")
	out, err := cmd.Output()
	if err != nil || string(out) != "line one\nline two" {
		t.Fatalf("out %q err %v", out, err)
	}
}

func TestRunSignalledChildExitsWith128PlusSignal(t *testing.T) {
	err := corral(t, "run", "--", "sh", "-c", "kill -9 $$").Run()
	if code := exitCode(t, err); code != 137 {
		t.Fatalf("code %d, want 137", code)
	}
}

func TestRunMissingProgram(t *testing.T) {
	cmd := corral(t, "run", "--", "corral-no-such-program")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	code := exitCode(t, cmd.Run())
	if code != 127 || !strings.Contains(errb.String(), "not found (searched ") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

func TestRunInterruptLeavesNoProcess(t *testing.T) {
	cmd := corral(t, "run", "--", "sh", "-c", "sleep 1000 & sleep 1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	mark := ""
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, proctest.MarkKey+"=") {
			mark = kv
		}
	}
	// Wait until corral, sh and both sleeps are up.
	for i := 0; len(proctest.Leftovers(mark)) < 4; i++ {
		if i > 500 {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the command never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	code := exitCode(t, cmd.Wait())
	if code != 128+int(syscall.SIGTERM) {
		t.Errorf("code %d, want 143 (the shell ended by SIGTERM)", code)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runMain(t.Context(), []string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runMain(t.Context(), []string{"version"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "commit ") || !strings.Contains(out.String(), "built ") {
		t.Fatalf("code %d out %q", code, out.String())
	}
}

// corral --help, -h and help list every command with one line each and the
// common flags, on stdout, exit 0; corral CMD --help prints CMD's flags,
// exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"-help"}} {
		var out, errb bytes.Buffer
		code := runMain(t.Context(), args, &out, &errb)
		if code != 0 {
			t.Fatalf("%v: exit %d; stderr %q", args, code, errb.String())
		}
		for name := range commands {
			if !strings.Contains(out.String(), "\n  "+name+" ") {
				t.Errorf("%v: command %s missing:\n%s", args, name, out.String())
			}
		}
		for _, f := range []string{"--config", "--data"} {
			if !strings.Contains(out.String(), f) {
				t.Errorf("%v: common flag %s missing:\n%s", args, f, out.String())
			}
		}
	}
	for cmd, flag := range map[string]string{"serve": "-addr", "run": "-json", "doctor": "-json", "ps": "-data"} {
		for _, h := range []string{"--help", "-h"} {
			var out, errb bytes.Buffer
			code := runMain(t.Context(), []string{cmd, h}, &out, &errb)
			if code != 0 || !strings.Contains(out.String()+errb.String(), flag) {
				t.Errorf("corral %s %s: exit %d, output %q %q", cmd, h, code, out.String(), errb.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if code := runMain(t.Context(), []string{"help", "serve"}, &out, &errb); code != 0 || !strings.Contains(out.String()+errb.String(), "-addr") {
		t.Errorf("corral help serve: exit %d, %q %q", code, out.String(), errb.String())
	}
}
