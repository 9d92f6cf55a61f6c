package agent

// Steerer is a Conn whose protocol accepts more user input during a
// running turn, which the agent takes into that turn (Codex app-server's
// turn/steer). Steer returns ErrNotReady when no turn of the agent runs.
//
// Claude Code's stream-json input has no such command: a user message
// written to stdin during a turn is not added to the running turn.
// Verified with 2.1.197 against the mock model: written while the model
// streams text, it runs as a second turn of its own after the first
// turn's result line (two results for one turn); written while a tool
// call runs, it reached no model request at all. So the Claude adapter
// does not implement Steerer, and the registry says so (Entry.Steer).
type Steerer interface {
	Steer(t UserTurn) error
}

// Steer adds the text (and images, as turn/start takes them: CodexInput)
// to the running turn with turn/steer, which fails on the agent's side
// when that turn already ended (expectedTurnId).
func (c *codexConn) Steer(t UserTurn) error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.threadID == "" || c.turnID == "" {
		return ErrNotReady
	}
	_, err := c.rpc.call("turn/steer", map[string]any{
		"threadId":       c.threadID,
		"expectedTurnId": c.turnID,
		"input":          CodexInput(t),
	})
	return err
}
