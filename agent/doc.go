// Package agent holds one adapter per agent CLI family (Claude Code, Codex,
// Gemini CLI, any ACP agent, and a generic JSON-lines or plain-text
// program), the registry of what corral knows about each agent (Entry:
// display name, protocol, permission modes, credentials, the built-in
// CLI's install hint and tested version, the adapter constructor; see
// Lookup and Resolve) and the discovery of installed CLIs (Discoverer).
//
// # The seam with the process layer
//
// An adapter never starts a process, reads a pipe or sleeps. It only knows
// the agent's protocol:
//
//   - Launch describes the process to start (LaunchSpec: program, argv,
//     environment, working directory, whether stdin stays open as a
//     command channel).
//   - NewConn binds the protocol state of one running process to the
//     writer of its stdin. The Conn decodes each framed output line
//     (Conn.Decode, called with the stream it came from) into normalized
//     event.Event values through an emit callback, and writes commands
//     (user turns, interrupts, permission answers) as protocol lines to
//     stdin.
//
// Whoever owns the process (the session layer through proc and supervise,
// or agenttest's small driver in tests) starts it, calls Conn.Start once,
// feeds every complete output line to Decode one at a time, in order (from
// whichever output reader read it: never two calls at once), and calls the
// command methods from any goroutine. A Conn serializes its own
// writes, so protocol lines are never interleaved.
//
// Two kinds of adapters exist. Persistent adapters (Claude Code over
// stream-json, Codex app-server, ACP, generic) serve every turn of a
// session from one long-lived process: turns go to stdin. Per-turn
// adapters (Gemini CLI's -p mode) start one process per turn: Launch is
// called with the turn, Conn.Start delivers the prompt and closes stdin,
// and the turn ends when the process does. Adapter.PerTurn tells which.
//
// # Events
//
// Decode turns every output line into at least one event and sets Raw (the
// line, copied) on the first event of every JSON line, so the raw stream
// can always be rebuilt from the events and nothing the agent says is
// lost. Lines corral understands become the kinds of package event
// (assistant.text, tool.call, permission.request, usage, turn.completed,
// ...); message types it does not know become agent.other with Raw; a line
// that looks like JSON but does not parse becomes parse.error with the
// text in Data; other stdout lines become stdout and stderr lines become
// stderr. The shapes of Data per kind are the *Data types in events.go.
//
// A turn's outcome is the turn.completed event the adapter derives from
// the agent's own report (Claude's result line, Codex's turn/completed,
// Gemini's result, ACP's session/prompt response), never from an exit
// code alone: Claude reports API failures with exit code 1 but also with
// a well-formed result, and Codex reports sandbox failures only inside a
// tool's output. TurnCompletedData.Error carries a typed TurnError.
package agent
