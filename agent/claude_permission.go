package agent

import (
	"encoding/json"
	"strconv"

	"github.com/corral-dev/corral/event"
)

// Claude Code's permission prompts: can_use_tool control requests in,
// control responses (allow, edited input, deny, session rules) out.

// RespondPermission answers a can_use_tool request: allow with the
// original or an edited input (Remember adds the CLI's suggested rules for
// the session), or deny with a message the model sees.
func (c *claudeConn) RespondPermission(a PermissionAnswer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pending[a.RequestID]
	if !ok {
		return ErrNoSuchRequest
	}
	var resp map[string]any
	if a.Allow {
		input := p.input
		if a.Input != nil {
			input = a.Input
		}
		if len(input) == 0 {
			input = json.RawMessage("{}")
		}
		resp = map[string]any{"behavior": "allow", "updatedInput": input}
		if a.Remember {
			if rules := sessionRules(p.suggestions); rules != nil {
				resp["updatedPermissions"] = rules
			}
		}
	} else {
		msg := a.Message
		if msg == "" {
			msg = "The user denied this tool use."
		}
		resp = map[string]any{"behavior": "deny", "message": msg}
	}
	if err := c.writeLine(map[string]any{
		"type": "control_response",
		"response": map[string]any{
			"subtype":    "success",
			"request_id": a.RequestID,
			"response":   resp,
		},
	}); err != nil {
		return err
	}
	delete(c.pending, a.RequestID)
	return nil
}

// decodeControlRequest handles a request the CLI makes of its host.
// can_use_tool becomes permission.request and waits for RespondPermission;
// any other request is answered with an error at once (corral registers no
// hooks or SDK MCP servers, so none is expected), because the CLI would
// otherwise wait forever.
func (c *claudeConn) decodeControlRequest(t *claudeTop, emit func(event.Event)) {
	line := t.line
	l := struct{ RequestID string }{RequestID: str(t.requestID)}
	var r struct {
		Subtype     string          `json:"subtype"`
		ToolName    string          `json:"tool_name"`
		Input       json.RawMessage `json:"input"`
		Description string          `json:"description"`
		ToolUseID   string          `json:"tool_use_id"`
		Suggestions json.RawMessage `json:"permission_suggestions"`
	}
	// A request of another shape is still answered below.
	defer c.em.unexpectedShape("control_request", decodeValue(t.request, &r), emit)
	if r.Subtype == "can_use_tool" {
		c.mu.Lock()
		c.pending[l.RequestID] = claudePending{input: r.Input, suggestions: r.Suggestions}
		c.mu.Unlock()
		emit(c.em.ev(event.PermissionRequest, PermissionRequestData{
			RequestID: l.RequestID, Tool: r.ToolName, Input: r.Input,
			Description: r.Description, ToolUseID: r.ToolUseID, Suggestions: r.Suggestions,
		}, line))
		return
	}
	emit(c.em.ev(event.AgentOther, nil, line))
	c.mu.Lock()
	err := c.writeLine(map[string]any{
		"type": "control_response",
		"response": map[string]any{
			"subtype":    "error",
			"request_id": l.RequestID,
			"error":      "corral does not support control request " + strconv.Quote(r.Subtype),
		},
	})
	c.mu.Unlock()
	c.em.stdinBroken(err, emit)
}

// sessionRules keeps the "addRules" entries of a can_use_tool request's
// permission_suggestions and scopes them to the session. The CLI suggests
// destinations such as localSettings, which would write into the user's
// project; corral keeps durable decisions in its own store instead. Other
// suggestions (addDirectories, setMode) widen more than the one rule the
// user approved, so they are not applied.
func sessionRules(suggestions json.RawMessage) []map[string]any {
	var all []map[string]any
	if json.Unmarshal(suggestions, &all) != nil {
		return nil
	}
	var out []map[string]any
	for _, s := range all {
		if s["type"] != "addRules" {
			continue
		}
		s["destination"] = "session"
		out = append(out, s)
	}
	return out
}
