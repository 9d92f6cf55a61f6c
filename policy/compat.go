package policy

// BuiltinAgents are the built-in agent names as they were before the
// agent registry took them over. Policy no longer reads this list: callers
// hand the names in as Rules.BuiltinAgents (config.Config.PolicyRules
// takes them from agent.BuiltinNames). It is kept only until the session
// layer asks the agent registry instead, and then removed; a test in
// package config fails if the two differ.
var BuiltinAgents = []string{"claude", "codex", "gemini"}
