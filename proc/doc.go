// Package proc runs one child process the way a supervisor needs it run:
// with an explicit environment, its output streamed as it comes, its stdin
// writable, and its whole tree stoppable. It depends on nothing of corral
// but package stream (the line framer); package supervise builds the
// managing of many processes on top of it.
//
// # Describe the child
//
// A Spec states everything explicitly: the program, its arguments, its
// working directory and its complete environment. A nil Env means an empty
// environment, never an inherited one, and a bare program name is searched
// in the PATH of that environment, never in the caller's:
//
//	spec := proc.Spec{Program: "git", Args: []string{"status"}, Dir: repo,
//		Env: []string{"PATH=/usr/bin:/bin", "HOME=" + home}}
//
// # Run a command to completion
//
// Execute runs the child, captures stdout and stderr byte for byte up to a
// cap per stream (ExecOptions.MaxStdout, MaxStderr; bytes past a cap are
// counted, not kept), optionally feeds it stdin, and stops it with a grace
// when the context ends. Only a spawn failure is an error; the exit code,
// the signal and the truncation are in the Result. See ExampleExecute.
//
// # Spawn and stream output
//
// Start starts the child and returns at once. From that moment its stdout
// and stderr are read, framed into lines by package stream (Lines, the
// default) or passed through as raw chunks (Chunks), numbered with one
// per-process sequence (Output.Seq) and handed to the Sink, one call at a
// time. Long lines arrive cut, flagged Continued; carriage-return progress
// updates are coalesced in time, flagged Progress. Wait and Done tell when
// the child was reaped and every output reached the Sink. See ExampleStart.
//
// The Sink runs on the goroutine that reads the pipes. A Sink that blocks
// stops the reading, and once the pipe buffer is full the child waits in
// its write, as it would behind a slow pipe reader: a caller that must not
// slow the child gives a Sink that only enqueues (package supervise does).
// Output.Bytes is valid only during the call.
//
// # Write to stdin
//
// With Spec.Stdin set to StdinPipe, Write writes to the child's stdin and
// CloseStdin lets it read EOF; with StdinPTY the child runs on a
// pseudo-terminal (Unix), whose output arrives as one stream. Writing to
// the stdin of a child that is gone returns a *StdinBroken error. See
// ExampleProcess_Write.
//
// # Stop or kill the whole tree
//
// The child always runs in a process group of its own (Unix) or a job
// object that kills on close (Windows), and on Linux optionally in a cgroup
// v2 group of its own (Spec.Cgroup), so that stopping it stops everything
// it started:
//
//   - Stop(grace) closes stdin, sends SIGTERM to the whole group (CTRL_BREAK
//     on Windows), waits up to grace, then kills the group and reaps the
//     child. See ExampleProcess_Stop.
//   - Kill kills the whole group at once. See ExampleProcess_Kill.
//   - Signal forwards a signal (a terminal's interrupt) to the group;
//     SignalTree also reaches the members of the cgroup that left the group.
//   - When the leader exits on its own, whatever is left of its group is
//     killed after the output pipes drained (or after Spec.WaitDelay, when a
//     grandchild keeps them open), and only then is the leader reaped, so the
//     group id cannot be recycled while it is signalled.
//   - On Linux the child gets a parent-death signal, SIGTERM, so that a
//     child of a caller that died can still end gracefully (the supervisor's
//     watchdog sends SIGKILL after a grace). It is started from an OS thread
//     locked for the child's whole life, because the kernel fires that signal
//     when the creating thread ends, not the process: an unlocked thread
//     could end (and signal the child) while the caller lives on.
//
// For Spec.Cgroup the caller creates the group below its own (OwnCgroup2)
// and removes it after Done (RemoveCgroup, which kills what is left).
//
// # Errors
//
// A missing program, a non-executable file or a missing directory returns a
// *SpawnFailed error that says what was searched (see ExampleSpawnFailed);
// a write to a gone child a *StdinBroken; a write without a stdin pipe
// ErrNoStdin. The cgroup helpers report a missing cgroup v2 hierarchy as
// *CgroupUnavailable.
package proc
