// Package proc runs one child process the way a supervisor needs it run.
//
// A Process is started from a Spec that states everything explicitly: the
// program, its arguments, its working directory and its complete environment
// (a nil Env means an empty environment, never an inherited one). Its stdout
// and stderr are read from the moment it starts, framed into lines by package
// stream (or passed through as raw chunks), numbered with one per-process
// sequence and handed to a Sink.
//
// The child always runs in a process group of its own (Unix) or a job object
// that kills on close (Windows), so that stopping it stops everything it
// started:
//
//   - Stop(grace) closes stdin, sends SIGTERM to the whole group (CTRL_BREAK on
//     Windows), waits up to grace, then kills the group and reaps the child.
//   - Kill kills the whole group at once.
//   - When the leader exits on its own, whatever is left of its group is
//     killed after the output pipes drained (or after Spec.WaitDelay, when a
//     grandchild keeps them open), and only then is the leader reaped, so the
//     group id cannot be recycled while corral signals it.
//   - On Linux the child gets a parent-death signal, SIGTERM, so that a
//     child of a corral that died can still end gracefully (the supervisor's
//     watchdog sends SIGKILL after a grace). It is started from an OS thread
//     locked for the child's whole life, because the kernel fires that signal
//     when the creating thread ends, not the process: an unlocked thread
//     could end (and signal the child) while corral lives on.
//
// Writing to the stdin of a child that is gone returns a *StdinBroken error;
// a missing program, a non-executable file or a missing directory returns a
// *SpawnFailed error that says what was searched.
//
// Execute runs a command to completion and returns its output with byte caps.
package proc
