// Package supervise manages many child processes on top of package proc, so
// that no process it starts runs unaccounted, loops forever, hangs forever or
// outlives its caller. It depends on nothing of corral but proc, stream and
// the event type (package event); docs/supervise.md records the design.
//
// # Start a supervisor
//
// New returns a running Supervisor; Shutdown ends it. The zero Config is
// usable: no limits, no ledger, events discarded. A Config sets the limits
// on concurrent processes (global and per Owner.Kind, queueing or rejecting
// with *LimitReached when full), the Sink that receives every event, the
// Ledger of live process groups and the watchdog command.
//
//	s, err := supervise.New(supervise.Config{MaxProcesses: 16, Sink: publish})
//	defer s.Shutdown(ctx) // graceful for all, then SIGKILL when ctx ends
//
// # Run a managed process
//
// Start admits a process described by a Spec (a proc.Spec plus what
// managing it needs) and returns a *Process at once; Write, CloseStdin,
// Signal, Stop, Kill, Info and Wait act on it, whichever run of it is
// current. Each managed process goes through the states
//
//	queued → starting → running → stopping → exited | failed | backoff
//
// with one process.state event per transition, and ends with exactly one
// run.exited event whose data (Result) says why: Reason, and Limit for the
// limit that fired. See ExampleSupervisor_Start.
//
//   - Readiness: a run is starting until it proves it started (alive for a
//     grace, at once, its first JSON line, or a handshake line), within the
//     start timeout; otherwise it is killed and counts as a failure.
//   - Restarts: a RestartPolicy (never, on-failure, always) with backoff,
//     jitter and a failure window that gives up; the decision is the pure
//     function Next. A stop that was asked for never restarts.
//   - Limits: an idle timeout, a total runtime limit, caps on the output
//     (total and per stream, see ExampleSpec_outputCap) and a soft memory
//     limit on the whole tree, which the monitor samples with its CPU.
//   - Stopping: stdin closed, SIGTERM to the whole tree, StopGrace on the
//     supervisor's Clock, then SIGKILL.
//
// # Events: the Sink never slows a child, a Tap can
//
// Events reach Config.Sink in order, from one goroutine, through one
// bounded queue. The output path never waits for the Sink: output events
// (and resource samples) are queued only while fewer than Config.EventQueue
// events wait, and otherwise counted and reported by an output.truncated
// event (reason "slow consumer") placed where they were lost. Control
// events (states, run.exited, truncation reports, errors) are never
// dropped; their number is bounded by the transitions, not by the output.
// So a slow Sink costs output events, never the child's speed.
//
// Spec.Tap is the other way, on purpose: it receives every output that
// passed the output caps, exactly and in order, synchronously on the
// goroutine that reads the child's pipes, before the output's event is
// queued and before readiness and the idle timer see it. Tap calls are
// serialized across stdout and stderr, so while one runs no output of the
// process is read. A slow Tap therefore slows the child as a slow pipe
// reader would: once the pipe buffer is full, the child waits in its write.
// Stop, Kill and the timeouts still reach the child meanwhile, but the
// process is over (Wait, Done, run.exited, and so Shutdown) only after the
// Tap call in progress returned. A Tap must therefore:
//
//   - return, and never wait for anything that waits for the process (its
//     end, Stop's effect, Shutdown): that is a deadlock;
//   - either accept back-pressure and keep its work per output short (corral
//     run copying to a terminal; the session decoding an agent's protocol,
//     which must see every line), or hand the output to a bounded queue and
//     decide itself what to drop when it is full, as the Sink path does
//     (ExampleSpec_tap);
//   - copy Output.Bytes to keep them: they are valid only during the call.
//
// # Nothing outlives the supervisor
//
// Every live process group is recorded in a Ledger (pid, process start
// time, group, owner). A watchdog process, started once per Supervisor,
// kills every recorded group and every process carrying the supervisor's
// marker when its caller dies, even by SIGKILL; Sweep, run at the next
// start, kills what a dead caller left behind and the watchdog missed. On
// Linux each tree runs in a cgroup v2 group of its own where one is
// writable; otherwise the Supervisor can make the process a child subreaper
// so that descendants that left their group (setsid, double fork) are
// re-parented to it and killed with their tree (see Containment).
package supervise
