//go:build unix

package proc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/corral-dev/corral/proc"
)

// The child's environment is complete and explicit: it inherits nothing,
// not even PATH, which is also where a bare program name is looked up.
var env = []string{"PATH=/usr/bin:/bin"}

// Execute runs a command to completion and keeps at most MaxStdout bytes of
// its stdout; what does not fit is counted, not kept.
func ExampleExecute() {
	res, err := proc.Execute(context.Background(), proc.Spec{
		Program: "sh",
		Args:    []string{"-c", "echo hello; printf 0123456789; exit 3"},
		Env:     env,
	}, proc.ExecOptions{MaxStdout: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", res.Stdout)
	fmt.Println("truncated:", res.Truncated, "dropped:", res.StdoutDropped)
	fmt.Println(res.ExitStatus, "shell code:", res.ShellCode())
	// Output:
	// "hello\n0123"
	// truncated: true dropped: 6
	// exit code 3 shell code: 3
}

// A program that cannot be started is a *proc.SpawnFailed that says why.
func ExampleSpawnFailed() {
	_, err := proc.Start(proc.Spec{Program: "no-such-program", Env: env}, nil)
	var sf *proc.SpawnFailed
	if errors.As(err, &sf) {
		fmt.Println(sf.Reason, sf.Searched)
	}
	// Output:
	// not found [/usr/bin /bin]
}

// Start spawns a child and streams its output, framed into lines, to a
// Sink: one call per line, never concurrent, numbered by Seq in the order
// of the calls. The order between stdout and stderr is the order in which
// their lines were read, which need not be the order the child wrote them
// in. A Sink that blocks slows the child (as a slow pipe reader would), so
// a Sink that must not slow it only enqueues.
func ExampleStart() {
	p, err := proc.Start(proc.Spec{
		Program: "sh",
		Args:    []string{"-c", "echo one; echo two >&2; echo three"},
		Env:     env,
	}, func(o proc.Output) {
		// o.Bytes is only valid during the call: copy it to keep it.
		fmt.Printf("%s %s\n", o.Stream, o.Bytes)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := p.Wait() // Wait returns once every line reached the Sink
	fmt.Println(st)
	// Unordered output:
	// stdout one
	// stderr two
	// stdout three
	// exit code 0
}

// With StdinPipe the child's stdin is a pipe: Write writes to it and
// CloseStdin lets the child read EOF.
func ExampleProcess_Write() {
	p, err := proc.Start(proc.Spec{
		Program: "sh",
		Args:    []string{"-c", `while read -r line; do echo "got $line"; done; echo EOF`},
		Env:     env,
		Stdin:   proc.StdinPipe,
	}, func(o proc.Output) { fmt.Printf("%s\n", o.Bytes) })
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Write([]byte("a\nb\n"))
	p.CloseStdin()
	st, _ := p.Wait()
	fmt.Println(st)
	// A child that is gone cannot be written to.
	_, err = p.Write([]byte("c\n"))
	var broken *proc.StdinBroken
	fmt.Println(errors.As(err, &broken))
	// Output:
	// got a
	// got b
	// EOF
	// exit code 0
	// true
}

// Kill kills the child's whole process group (and, with Spec.Cgroup, its
// whole cgroup) at once: the grandchildren a shell started in the
// background end with it, and Wait returns without waiting for them.
func ExampleProcess_Kill() {
	started := make(chan struct{})
	p, err := proc.Start(proc.Spec{
		Program: "sh",
		Args:    []string{"-c", "sleep 600 & sleep 600 & echo started; wait"},
		Env:     env,
	}, func(o proc.Output) {
		if strings.TrimSpace(string(o.Bytes)) == "started" {
			close(started)
		}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-started
	p.Kill()
	st, _ := p.Wait()
	fmt.Println(st, "stopped:", st.Stopped)
	// Output:
	// killed by SIGKILL stopped: true
}

// Stop ends the child gracefully: stdin closed, SIGTERM to the whole group,
// and SIGKILL only if the group outlives the grace.
func ExampleProcess_Stop() {
	ready := make(chan struct{})
	p, err := proc.Start(proc.Spec{
		Program: "sh",
		// (stderr to /dev/null: the shell reports a sleep that the
		// group's SIGTERM reached first as "Terminated")
		Args: []string{"-c", `exec 2>/dev/null; trap 'echo cleaning up; exit 4' TERM; echo ready; while :; do sleep 0.05; done`},
		Env:  env,
	}, func(o proc.Output) {
		fmt.Printf("%s\n", o.Bytes)
		if string(o.Bytes) == "ready" {
			close(ready)
		}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-ready
	st := p.Stop(10 * time.Second)
	fmt.Println(st)
	// Output:
	// ready
	// cleaning up
	// exit code 4
}
