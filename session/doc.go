// Package session runs agent sessions: a Manager launches agent processes
// through the policy and the supervisor, decodes their output with the
// agent adapters, drives each session's turns and status, brokers its
// permission requests, and writes everything to the store, which publishes
// after commit.
//
// # Who owns what
//
// Each live session is an actor (actor.go): one goroutine owns the
// session's state (its process and Conn, the running turn, the status,
// the pending permission requests and their timers, the idle check) and
// is the only one to touch it. No mutex guards that state. Everything that
// happens to a session is a message in its mailbox, handled one at a time
// in the order it arrived:
//
//   - API calls (Send, Interrupt, RespondPermission, Stop, Resume, Delete,
//     the live part of Get and List, CleanupIdle, Shutdown) post a command
//     and wait for its reply on a channel of their own. What may take long
//     is waited for by the caller, not the actor: the exit of an agent
//     process (Send after a per-turn turn or an idle stop, Stop, Delete)
//     and reads that wait for the store (a permission already decided).
//   - The agent's output: the process's output readers (supervise's Tap)
//     decode each line with the Conn and post the decoded events, with the
//     time the line was read. They never wait for the actor, up to a bound
//     (see the back-pressure note in actor.go).
//   - The supervisor's events of the session's processes (state, run.exited,
//     output truncation, a memory limit crossed): HandleProcessEvent posts
//     them, so they are stored in order with the session's own events.
//   - Timers of the injected clock (Options.AfterFunc): a permission
//     request's expiry and a turn's idle check post a message when they
//     fire.
//
// The actor applies the decisions of the pure functions: decideTurn
// (turn.go) for the turn state machine, the broker (broker.go) for
// permission requests, sendBlock, idleToStop, turnStoreOutcome. It runs
// while the session holds something live (a process, a turn, a pending
// request, an armed timer) and ends when nothing is left; the next message
// starts it again on the same state. Delete ends it for good (later calls
// get ErrNotFound), and so does Shutdown (ErrClosed), which waits for every
// actor and for the goroutines that settle ended turns with the store
// (settleTurn in storefail.go).
//
// The Manager's own mutex guards only its map of live sessions and its
// closed flag; settings (ReloadConfig) and resource samples (stats.go)
// have their own. The stdin of an agent process (stdinWriter) has its own
// lock too, since the adapter writes to it both from the actor (turns,
// answers) and, in some adapters, from Decode on the output reader
// (replies to the agent's own protocol requests).
package session
