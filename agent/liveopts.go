package agent

// OptionSetter is implemented by a Conn whose protocol can change the
// model or the permission mode of the running process. A method returns
// ErrUnsupported when the protocol cannot change that option in place (the
// caller then applies it on the next process start), ErrNotReady when the
// handshake has not finished, or the write's error.
//
// What "in place" means differs: Claude Code takes a control request and
// switches at once; Codex's app-server takes the model and approval policy
// as parameters of the next turn/start (the adapter holds them until then);
// an ACP agent takes session/set_model and session/set_mode.
type OptionSetter interface {
	SetModel(model string) error
	SetPermissionMode(mode string) error
}

// claudeSetModel is the control request that switches a running Claude
// Code's model (stream-json stdin; "default" selects the CLI's default).
func claudeSetModel(model string) map[string]any {
	if model == "" {
		model = "default"
	}
	return map[string]any{"subtype": "set_model", "model": model}
}

// claudeSetMode is the control request that switches a running Claude
// Code's permission mode (default, acceptEdits, plan, ...).
func claudeSetMode(mode string) map[string]any {
	if mode == "" {
		mode = "default"
	}
	return map[string]any{"subtype": "set_permission_mode", "mode": mode}
}

// SetModel sends the set_model control request. The CLI answers with a
// control_response; a model it does not know is refused there and
// decoded as an error event.
func (c *claudeConn) SetModel(model string) error {
	if err := CheckModel(model); err != nil {
		return err
	}
	return c.controlRequest(claudeSetModel(model))
}

// SetPermissionMode sends the set_permission_mode control request.
func (c *claudeConn) SetPermissionMode(mode string) error {
	if err := CheckPermissionMode("claude", mode); err != nil {
		return err
	}
	return c.controlRequest(claudeSetMode(mode))
}

// codexTurnOverrides are the turn/start parameters that change the
// thread's model and approval policy from that turn on (app-server keeps
// them for later turns).
func codexTurnOverrides(model, approval string) map[string]any {
	out := map[string]any{}
	if model != "" {
		out["model"] = model
	}
	if approval != "" {
		out["approvalPolicy"] = approval
	}
	return out
}

// SetModel records the model for the next turn/start.
func (c *codexConn) SetModel(model string) error {
	if err := CheckModel(model); err != nil {
		return err
	}
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	c.nextModel = model
	return nil
}

// SetPermissionMode records the approval policy for the next turn/start.
func (c *codexConn) SetPermissionMode(mode string) error {
	if err := CheckPermissionMode("codex", mode); err != nil {
		return err
	}
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	c.nextApproval = mode
	return nil
}

// acpSetModel and acpSetMode are the ACP requests that switch a session's
// model and mode.
func acpSetModel(sessionID, model string) (string, map[string]any) {
	return "session/set_model", map[string]any{"sessionId": sessionID, "modelId": model}
}

func acpSetMode(sessionID, mode string) (string, map[string]any) {
	return "session/set_mode", map[string]any{"sessionId": sessionID, "modeId": mode}
}

// SetModel sends session/set_model. An agent that does not implement it
// answers with an error, decoded as an error event.
func (c *acpConn) SetModel(model string) error {
	if model == "" {
		return ErrUnsupported
	}
	if err := CheckModel(model); err != nil {
		return err
	}
	return c.acpSet(acpSetModel, model)
}

// SetPermissionMode sends session/set_mode.
func (c *acpConn) SetPermissionMode(mode string) error {
	if mode == "" {
		return ErrUnsupported
	}
	if err := CheckPermissionMode("acp", mode); err != nil {
		return err
	}
	return c.acpSet(acpSetMode, mode)
}

func (c *acpConn) acpSet(req func(sid, v string) (string, map[string]any), v string) error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.sessionID == "" {
		return ErrNotReady
	}
	method, params := req(c.sessionID, v)
	_, err := c.rpc.call(method, params)
	return err
}
