// Package supervise manages many child processes on top of package proc, so
// that no process corral starts runs unaccounted, loops forever, hangs forever
// or outlives corral.
//
// A Supervisor admits processes under a global limit and a limit per owner
// kind (queueing or rejecting with *LimitReached when full), drives each one
// through the states
//
//	queued → starting → running → stopping → exited | failed | backoff
//
// with one process.state event per transition, restarts it according to a
// RestartPolicy (the decision is the pure function Next), enforces a start
// timeout, an idle timeout, a total runtime limit, caps on the output (total
// and per stream) and a soft memory limit, samples the CPU and memory of each whole process tree, and ends every
// managed process with exactly one run.exited event whose data says why.
//
// Events reach the caller's Sink through one bounded queue drained by a single
// goroutine: a slow Sink never slows a child. Output lines that do not fit are
// counted and reported by an output.truncated event placed where they were
// lost; state and exit events are never dropped.
//
// Every live process group is recorded in a Ledger (pid, process start time,
// group, owner). A watchdog process, started once per Supervisor, kills every
// recorded group and every process carrying the supervisor's marker when
// corral dies, even by SIGKILL; Sweep, run at the next start, kills what a
// dead corral left behind and was not caught by the watchdog. On Linux the
// Supervisor can make corral a child subreaper so that descendants that left
// their group (setsid, double fork) are re-parented to corral and killed with
// their tree. See docs/supervise.md for the design.
package supervise
