package proc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/proctest"
)

func init() {
	linuxHelpers = func(mode string) (int, bool) {
		if mode != "proc-parent" {
			return 0, false
		}
		// A corral stand-in: starts a sleeping child through proc, reports
		// its pid, and waits to be killed.
		exe, _ := os.Executable()
		env := append([]string{helperEnv + "=sleep"}, os.Environ()...)
		p, err := Start(Spec{Program: exe, Env: env}, nil)
		if err != nil {
			fmt.Println("error", err)
			return 1, true
		}
		fmt.Println(p.Pid())
		time.Sleep(time.Hour)
		return 0, true
	}
}

func TestParentDeathKillsTheChild(t *testing.T) {
	mark := proctest.NewMark()
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = []string{helperEnv + "=proc-parent", mark}
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no pid from the parent: %v", err)
	}
	childPid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("bad pid line %q", line)
	}
	// Let the parent's other goroutines and threads run for a while, so a
	// parent-death signal tied to the wrong thread would have fired already.
	time.Sleep(200 * time.Millisecond)
	if syscall.Kill(childPid, 0) != nil {
		t.Fatal("the child died while its parent was alive")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if left := proctest.WaitGone(mark, 2*time.Second); len(left) != 0 {
		t.Fatalf("child %v outlived its killed parent", left)
	}
}

func TestPTYMode(t *testing.T) {
	var c collector
	spec := shSpec(t, `read x; echo "got:$x"; test -t 0 && echo tty`)
	spec.Stdin = StdinPTY
	p := mustStart(t, spec, c.sink)
	if _, err := p.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	st, _ := p.Wait()
	if !st.Success() {
		t.Fatalf("status %v", st)
	}
	out := strings.Join(c.lines(Stdout), "\n")
	if !strings.Contains(out, "got:hello") || !strings.Contains(out, "tty") {
		t.Fatalf("pty output %q", out)
	}
}
