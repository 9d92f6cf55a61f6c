// Package sessioncontract holds the contract tests of the session layer
// against the real agent CLIs (Claude Code, Codex, Gemini CLI) at the
// pinned versions of package clitest. The tests open a session.Runtime in
// a temporary data directory, configure each CLI through config.Config's
// [agents.NAME] (its installed path, a temporary HOME and the mock model
// API of internal/mockllm as its endpoint), and drive it only through the
// Manager's methods, reading what happened from the bus and the store.
//
// They run only with CORRAL_AGENT_CLIS=1 (scripts/test.sh's agents step
// runs ./internal/clitest/..., which includes this package); otherwise
// they skip and say how to enable them. The package has no non-test code.
package sessioncontract
