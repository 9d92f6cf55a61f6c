// Package policy decides, for every process corral starts, whether it may
// run and exactly how: which absolute program, which argv, in which
// directory, with which environment and under which limits.
//
// It stands alone: it imports no other part of corral but the event type
// its audit sink receives, so a Go program that runs commands on behalf of
// someone it does not fully trust can use it by itself.
//
// # Rules
//
// The rules are plain values (Rules): allow-listed commands (Capability,
// with the exact positional shape of their arguments as Arg values, the
// flags a caller may add, the environment and the working-directory
// roots), agents (Agent: a program whose argv an adapter builds) and
// default limits. corral's package config reads them from the TOML file
// (its Config satisfies RuleSource); a program may build them by hand.
//
// New compiles them once: validators become anchored RE2 expressions,
// programs are resolved to absolute paths (a PATH name through corral's
// PATH, never relative to the working directory; a sidecar by target
// triple), sha256 pins are verified and cwd roots have their symlinks
// resolved.
//
// # Checking a request
//
// Check answers a Request (a capability name, the complete argv after the
// program, a working directory, the variables the caller wants set) with
// either a Resolved value, which is everything a supervisor needs to
// start the child, or a *Denied naming the rule that refused, the argument
// position and what was given. Decide and Explain do the same for a
// person: `corral policy check` prints why a command would be refused.
//
// The rules are chosen so that the known ways around Tauri's shell scope do
// not work: arguments are never silently dropped, supplied or overridden;
// validators always match the whole argument; the child environment starts
// empty; the working directory is checked after symlinks are resolved; and
// processes can be written to or killed only by their owner (see Registry).
//
// Every decision is reported to an injected sink as an event.PolicyDecision
// event.
package policy
