package agent

import (
	"encoding/json"
	"strings"

	"github.com/corral-dev/corral/event"
)

// Codex's approval requests: server requests in, decisions out.

// RespondPermission answers an approval request: accept (acceptForSession
// with Remember) or decline. Codex cannot run an edited command or pass a
// message to the model with a decline; Input set on an allow is refused
// with ErrUnsupported.
func (c *codexConn) RespondPermission(a PermissionAnswer) error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	p, ok := c.pending[a.RequestID]
	if !ok {
		return ErrNoSuchRequest
	}
	if a.Allow && a.Input != nil {
		return ErrUnsupported
	}
	var decision string
	legacy := p.method == "execCommandApproval" || p.method == "applyPatchApproval"
	switch {
	case a.Allow && a.Remember && legacy:
		decision = "approved_for_session"
	case a.Allow && legacy:
		decision = "approved"
	case legacy:
		decision = "denied"
	case a.Allow && a.Remember:
		decision = "acceptForSession"
	case a.Allow:
		decision = "accept"
	default:
		decision = "decline"
	}
	var result any = map[string]any{"decision": decision}
	if p.method == "item/permissions/requestApproval" {
		// This request grants permissions rather than taking a decision.
		if a.Allow {
			result = map[string]any{"permissions": map[string]any{}, "scope": "turn"}
		} else {
			result = map[string]any{"permissions": map[string]any{}}
		}
	}
	if err := c.rpc.reply(p.id, result); err != nil {
		return err
	}
	delete(c.pending, a.RequestID)
	return nil
}

// serverRequest handles a request from app-server: approvals become
// permission.request; anything else is refused so Codex does not wait.
func (c *codexConn) serverRequest(m *rpcMessage, line []byte, emit func(event.Event)) {
	key := idKey(m.ID)
	var p codexParams
	defer c.em.unexpectedShape(m.Method+" params", decodeValue(m.Params, &p), emit)
	d := PermissionRequestData{RequestID: key, ToolUseID: p.ItemID, Description: p.Reason}
	switch m.Method {
	case "item/commandExecution/requestApproval", "execCommandApproval":
		d.Tool = "commandExecution"
		in, _ := json.Marshal(map[string]any{"command": p.Command, "cwd": p.Cwd})
		d.Input = in
		d.Suggestions = p.Avail
		if d.ToolUseID == "" {
			d.ToolUseID = p.CallID
		}
	case "item/fileChange/requestApproval", "applyPatchApproval":
		d.Tool = "fileChange"
		if len(p.Changes) > 0 {
			in, _ := json.Marshal(map[string]any{"changes": p.Changes})
			d.Input = in
		}
	case "item/permissions/requestApproval":
		d.Tool = "permissions"
		d.Input = raw(m.Params) // a copy: m.Params points into the line buffer
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
		c.rpc.mu.Lock()
		err := c.rpc.replyError(m.ID, -32601, "corral does not support "+m.Method)
		c.rpc.mu.Unlock()
		c.em.stdinBroken(err, emit)
		return
	}
	c.rpc.mu.Lock()
	c.pending[key] = codexPending{id: append(json.RawMessage(nil), m.ID...), method: m.Method, turnID: p.TurnID}
	c.rpc.mu.Unlock()
	emit(c.em.ev(event.PermissionRequest, d, line))
}

// joinStrings joins a JSON array of strings; other shapes give "".
func joinStrings(raw json.RawMessage) string {
	var ss []string
	if json.Unmarshal(raw, &ss) != nil {
		return ""
	}
	return strings.Join(ss, "\n")
}
