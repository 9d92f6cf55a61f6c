package agent

import (
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"

	"github.com/corral-dev/corral/event"
)

// ACP is the adapter for any agent that speaks the Agent Client Protocol
// (JSON-RPC 2.0, one message per line, both ways) on stdio: Gemini CLI with
// --acp, @zed-industries/claude-code-acp, @zed-industries/codex-acp and
// others. The agent's command comes from SessionOptions.Program and Args.
//
// corral implements the client side of the subset a chat needs:
// initialize, session/new or session/load (ResumeID), session/set_mode
// (PermissionMode), session/prompt, session/cancel, session/update
// notifications, and session/request_permission. It declares no fs or
// terminal capabilities, so agents run tools themselves; other agent
// requests are refused with "method not found".
type ACP struct {
	// AdapterName is what Name returns; empty means "acp".
	AdapterName string
}

// Name returns the configured name, "acp" by default.
func (a ACP) Name() string {
	if a.AdapterName != "" {
		return a.AdapterName
	}
	return "acp"
}

// PerTurn is false: an ACP session lives in one process.
func (ACP) PerTurn() bool { return false }

// ErrNoProgram: an adapter without a default command needs one.
var ErrNoProgram = errors.New("agent: no program configured for this agent")

// Launch runs opts.Program with opts.Args. A model or mode id that is not
// a plain token is refused (*InvalidOptionError).
func (ACP) Launch(opts SessionOptions, _ *Turn) (LaunchSpec, error) {
	if opts.Program == "" {
		return LaunchSpec{}, ErrNoProgram
	}
	if err := checkOptions("acp", opts); err != nil {
		return LaunchSpec{}, err
	}
	return LaunchSpec{Program: opts.Program, Args: append([]string(nil), opts.Args...), Env: append([]string(nil), opts.Env...), Dir: opts.Cwd, Stdin: true}, nil
}

// NewConn returns the client state of one ACP connection.
func (ACP) NewConn(opts SessionOptions, stdin io.Writer, cfg ConnConfig) Conn {
	return &acpConn{opts: opts, em: newEmitter(cfg), rpc: rpcWriter{w: stdin, jsonrpc: true}, pending: map[string]acpPending{}}
}

type acpPending struct {
	id      json.RawMessage
	options []acpOption
}

type acpOption struct {
	OptionID string `json:"optionId"`
	Name     string `json:"name"`
	Kind     string `json:"kind"` // allow_once, allow_always, reject_once, reject_always
}

type acpConn struct {
	opts SessionOptions
	em   emitter

	// rpc.mu guards the fields below and writes.
	rpc       rpcWriter
	sessionID string
	version   string
	queued    turnQueue
	pending   map[string]acpPending
	prompting bool
	// images: the agent declared promptCapabilities.image in its
	// initialize answer, so images go as image blocks.
	images bool
}

// Start sends initialize; session/new (or session/load) follows when the
// agent answers, since ACP agents may handle requests concurrently.
func (c *acpConn) Start() error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	_, err := c.rpc.call("initialize", map[string]any{
		"protocolVersion": 1,
		"clientCapabilities": map[string]any{
			"fs":       map[string]any{"readTextFile": false, "writeTextFile": false},
			"terminal": false,
		},
		"clientInfo": map[string]any{"name": "corral", "version": "0"},
	})
	return err
}

// SendUserTurn sends session/prompt, or queues it until the session exists.
func (c *acpConn) SendUserTurn(text string) error {
	return c.SendUserTurnWith(UserTurn{Text: text})
}

// SendUserTurnWith sends session/prompt with the images as image blocks
// when the agent declared it takes them (ACPPrompt), or queues it until
// the session exists.
func (c *acpConn) SendUserTurnWith(t UserTurn) error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.sessionID == "" {
		c.queued = append(c.queued, t)
		return nil
	}
	return c.prompt(t)
}

// prompt writes session/prompt. Callers hold rpc.mu.
func (c *acpConn) prompt(t UserTurn) error {
	c.prompting = true
	_, err := c.rpc.call("session/prompt", map[string]any{
		"sessionId": c.sessionID,
		"prompt":    ACPPrompt(t, c.images),
	})
	return err
}

// Interrupt sends session/cancel. As the protocol requires, pending
// permission requests are answered "cancelled" first; the pending
// session/prompt then returns stopReason "cancelled".
func (c *acpConn) Interrupt() error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.sessionID == "" {
		return ErrNotReady
	}
	for key, p := range c.pending {
		if err := c.rpc.reply(p.id, map[string]any{"outcome": map[string]any{"outcome": "cancelled"}}); err != nil {
			return err
		}
		delete(c.pending, key)
	}
	return c.rpc.notify("session/cancel", map[string]any{"sessionId": c.sessionID})
}

// RespondPermission picks the agent's option that matches the answer:
// allow_always for Allow with Remember (else allow_once), reject_once for
// a denial (else reject_always). ACP cannot carry an edited input or a
// message; Input on an allow is refused with ErrUnsupported.
func (c *acpConn) RespondPermission(a PermissionAnswer) error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	p, ok := c.pending[a.RequestID]
	if !ok {
		return ErrNoSuchRequest
	}
	if a.Allow && a.Input != nil {
		return ErrUnsupported
	}
	var prefs []string
	switch {
	case a.Allow && a.Remember:
		prefs = []string{"allow_always", "allow_once"}
	case a.Allow:
		prefs = []string{"allow_once", "allow_always"}
	default:
		prefs = []string{"reject_once", "reject_always"}
	}
	outcome := map[string]any{"outcome": "cancelled"}
	for _, kind := range prefs {
		if id := optionOfKind(p.options, kind); id != "" {
			outcome = map[string]any{"outcome": "selected", "optionId": id}
			break
		}
	}
	if err := c.rpc.reply(p.id, map[string]any{"outcome": outcome}); err != nil {
		return err
	}
	delete(c.pending, a.RequestID)
	return nil
}

func optionOfKind(opts []acpOption, kind string) string {
	for _, o := range opts {
		if o.Kind == kind {
			return o.OptionID
		}
	}
	return ""
}

func (c *acpConn) SessionID() string {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.sessionID != "" {
		return c.sessionID
	}
	return c.opts.ResumeID
}

// Decode maps one line from the agent.
func (c *acpConn) Decode(stream Stream, line []byte, emit func(event.Event)) {
	if stream != Stdout || !looksJSON(line) {
		c.em.nonJSON(stream, line, nil, emit)
		return
	}
	var m rpcMessage
	if err := json.Unmarshal(line, &m); err != nil {
		c.em.nonJSON(stream, line, err, emit)
		return
	}
	switch {
	case m.Method != "" && len(m.ID) > 0:
		c.request(&m, line, emit)
	case m.Method == "session/update":
		c.update(&m, line, emit)
	case len(m.ID) > 0 && m.Method == "":
		c.response(&m, line, emit)
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

func (c *acpConn) response(m *rpcMessage, line []byte, emit func(event.Event)) {
	method := c.rpc.takeCall(m.ID)
	if m.Error != nil {
		msg := m.Error.Message
		if len(m.Error.Data) > 0 {
			msg += ": " + string(m.Error.Data)
		}
		emit(c.em.ev(event.ErrorKind, ErrorData{Code: "rpc_error", Message: method + ": " + msg}, line))
		switch method {
		case "session/prompt", "session/new", "session/load", "initialize":
			c.rpc.mu.Lock()
			c.prompting = false
			c.rpc.mu.Unlock()
			emit(c.em.ev(event.TurnCompleted, TurnCompletedData{Error: &TurnError{Code: CodeAgent, Message: msg}}, nil))
		}
		return
	}
	switch method {
	case "initialize":
		c.initialized(m, line, emit)
	case "session/new", "session/load":
		c.sessionOpened(method, m, line, emit)
	case "session/prompt":
		c.promptDone(m, line, emit)
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

// initialized handles the initialize response: it opens the session.
func (c *acpConn) initialized(m *rpcMessage, line []byte, emit func(event.Event)) {
	var r struct {
		AgentInfo struct {
			Version string `json:"version"`
		} `json:"agentInfo"`
		AgentCapabilities struct {
			PromptCapabilities struct {
				Image bool `json:"image"`
			} `json:"promptCapabilities"`
		} `json:"agentCapabilities"`
	}
	defer c.em.unexpectedShape("initialize result", decodeValue(m.Result, &r), emit)
	emit(c.em.ev(event.AgentOther, nil, line))
	c.rpc.mu.Lock()
	c.version = r.AgentInfo.Version
	c.images = r.AgentCapabilities.PromptCapabilities.Image
	params := map[string]any{"cwd": c.opts.Cwd, "mcpServers": []any{}}
	method := "session/new"
	if c.opts.ResumeID != "" {
		method = "session/load"
		params["sessionId"] = c.opts.ResumeID
	}
	_, err := c.rpc.call(method, params)
	c.rpc.mu.Unlock()
	c.em.stdinBroken(err, emit)
}

// sessionOpened handles the session/new or session/load response: the
// session's mode and model are set and the queued turns sent.
func (c *acpConn) sessionOpened(method string, m *rpcMessage, line []byte, emit func(event.Event)) {
	var r struct {
		SessionID string `json:"sessionId"`
		Models    struct {
			CurrentModelID  string `json:"currentModelId"`
			AvailableModels []struct {
				ModelID string `json:"modelId"`
			} `json:"availableModels"`
		} `json:"models"`
		Modes struct {
			CurrentModeID  string `json:"currentModeId"`
			AvailableModes []struct {
				ID string `json:"id"`
			} `json:"availableModes"`
		} `json:"modes"`
	}
	defer c.em.unexpectedShape(method+" result", decodeValue(m.Result, &r), emit)
	c.rpc.mu.Lock()
	if r.SessionID == "" {
		r.SessionID = c.opts.ResumeID // session/load answers without an id
	}
	c.sessionID = r.SessionID
	init := InitData{SessionID: r.SessionID, Model: r.Models.CurrentModelID, Cwd: c.opts.Cwd, PermissionMode: r.Modes.CurrentModeID, Version: c.version}
	for _, md := range r.Models.AvailableModels {
		init.Models = append(init.Models, md.ModelID)
	}
	for _, md := range r.Modes.AvailableModes {
		init.Modes = append(init.Modes, md.ID)
	}
	var err error
	if c.opts.PermissionMode != "" {
		_, err = c.rpc.call("session/set_mode", map[string]any{"sessionId": c.sessionID, "modeId": c.opts.PermissionMode})
	}
	if err == nil && c.opts.Model != "" {
		_, err = c.rpc.call("session/set_model", map[string]any{"sessionId": c.sessionID, "modelId": c.opts.Model})
	}
	if err == nil {
		err = c.queued.flush(c.prompt)
	} else {
		c.queued = nil // stdin is broken: the queued turns cannot be sent
	}
	c.rpc.mu.Unlock()
	emit(c.em.ev(event.AgentInit, init, line))
	c.em.stdinBroken(err, emit)
}

// promptDone handles the session/prompt response: the turn's end.
func (c *acpConn) promptDone(m *rpcMessage, line []byte, emit func(event.Event)) {
	var r struct {
		StopReason string          `json:"stopReason"`
		Usage      json.RawMessage `json:"usage"`
	}
	defer c.em.unexpectedShape("session/prompt result", decodeValue(m.Result, &r), emit)
	c.rpc.mu.Lock()
	c.prompting = false
	sid := c.sessionID
	// A permission request cannot outlive its prompt: withdraw any
	// the agent left unanswered so no dialog waits for it.
	var dropped []string
	for key := range c.pending {
		dropped = append(dropped, key)
		delete(c.pending, key)
	}
	c.rpc.mu.Unlock()
	sort.Strings(dropped)
	for _, key := range dropped {
		emit(c.em.ev(event.PermissionResolved, PermissionResolvedData{RequestID: key, Outcome: "cancelled"}, line))
		line = nil
	}
	d := TurnCompletedData{OK: true, StopReason: r.StopReason, SessionID: sid}
	switch r.StopReason {
	case "cancelled":
		d.OK, d.Error = false, &TurnError{Code: CodeInterrupted, Message: "cancelled"}
	case "refusal":
		d.OK, d.Error = false, &TurnError{Code: CodeAgent, Message: "the agent refused"}
	case "max_turn_requests":
		d.OK, d.Error = false, &TurnError{Code: CodeMaxTurns, Message: r.StopReason}
	}
	if len(r.Usage) > 0 {
		u, err := acpUsage(r.Usage)
		defer c.em.unexpectedShape("session/prompt usage", err, emit)
		emit(c.em.ev(event.Usage, u, line))
		line = nil
	}
	emit(c.em.ev(event.TurnCompleted, d, line))
}

// acpUsage maps the optional usage of a prompt response.
func acpUsage(raw json.RawMessage) (UsageData, error) {
	var u struct {
		InputTokens       int64 `json:"inputTokens"`
		OutputTokens      int64 `json:"outputTokens"`
		CachedReadTokens  int64 `json:"cachedReadTokens"`
		CachedWriteTokens int64 `json:"cachedWriteTokens"`
		ThoughtTokens     int64 `json:"thoughtTokens"`
	}
	err := decodeValue(raw, &u)
	return UsageData{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadTokens: u.CachedReadTokens,
		CacheWriteTokens: u.CachedWriteTokens, ReasoningTokens: u.ThoughtTokens}, err
}

type acpToolCall struct {
	ToolCallID string          `json:"toolCallId"`
	Title      string          `json:"title"`
	Kind       string          `json:"kind"`
	Status     string          `json:"status"`
	RawInput   json.RawMessage `json:"rawInput"`
	RawOutput  json.RawMessage `json:"rawOutput"`
	Content    []struct {
		Type    string `json:"type"`
		Content struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"content"`
}

func (t *acpToolCall) name() string {
	if t.Title != "" {
		return t.Title
	}
	return t.Kind
}

func (t *acpToolCall) output() string {
	var parts []string
	for _, c := range t.Content {
		if c.Type == "content" && c.Content.Type == "text" {
			parts = append(parts, c.Content.Text)
		}
	}
	if len(parts) == 0 && len(t.RawOutput) > 0 {
		if s := jsonString(t.RawOutput); s != "" {
			return s
		}
		return string(t.RawOutput)
	}
	return strings.Join(parts, "\n")
}

func (c *acpConn) update(m *rpcMessage, line []byte, emit func(event.Event)) {
	var p struct {
		Update struct {
			SessionUpdate string `json:"sessionUpdate"`
			Content       json.RawMessage
			CurrentModeID string `json:"currentModeId"`
		} `json:"update"`
	}
	if json.Unmarshal(m.Params, &p) != nil {
		// Valid JSON of a shape this version does not know.
		emit(c.em.ev(event.AgentOther, nil, line))
		return
	}
	u := &p.Update
	var shapeErr error
	defer func() { c.em.unexpectedShape(u.SessionUpdate, shapeErr, emit) }()
	text := func() string {
		var b struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		shapeErr = decodeValue(u.Content, &b)
		return b.Text
	}
	switch u.SessionUpdate {
	case "agent_message_chunk":
		emit(c.em.ev(event.AssistantText, TextData{Text: text(), Delta: true}, line))
	case "agent_thought_chunk":
		emit(c.em.ev(event.AssistantThinking, TextData{Text: text(), Delta: true}, line))
	case "tool_call", "tool_call_update":
		// The embedded tool call's content is a list; decode it apart
		// from the chunk content above.
		var tc struct {
			Update acpToolCall `json:"update"`
		}
		shapeErr = decodeValue(m.Params, &tc)
		t := &tc.Update
		switch {
		case t.Status == "completed" || t.Status == "failed":
			emit(c.em.ev(event.ToolResult, ToolResultData{ID: t.ToolCallID, Output: t.output(), IsError: t.Status == "failed", Status: t.Status}, line))
		case u.SessionUpdate == "tool_call":
			emit(c.em.ev(event.ToolCall, ToolCallData{ID: t.ToolCallID, Name: t.name(), Input: t.RawInput, Status: t.Status}, line))
		default:
			emit(c.em.ev(event.AgentOther, nil, line))
		}
	case "current_mode_update":
		emit(c.em.ev(event.AgentStatus, StatusData{Status: "mode", PermissionMode: u.CurrentModeID}, line))
	case "available_commands_update":
		var ac struct {
			Update struct {
				AvailableCommands []CommandInfo `json:"availableCommands"`
			} `json:"update"`
		}
		shapeErr = decodeValue(m.Params, &ac)
		emit(c.em.ev(event.AgentCommands, CommandsData{Commands: ac.Update.AvailableCommands}, line))
	default:
		// user_message_chunk, plan, usage_update and anything newer.
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

// request handles a request from the agent.
func (c *acpConn) request(m *rpcMessage, line []byte, emit func(event.Event)) {
	if m.Method != "session/request_permission" {
		emit(c.em.ev(event.AgentOther, nil, line))
		c.rpc.mu.Lock()
		err := c.rpc.replyError(m.ID, -32601, "corral does not support "+m.Method)
		c.rpc.mu.Unlock()
		c.em.stdinBroken(err, emit)
		return
	}
	var p struct {
		ToolCall acpToolCall     `json:"toolCall"`
		Options  json.RawMessage `json:"options"`
	}
	err := decodeValue(m.Params, &p)
	var opts []acpOption
	if err == nil {
		err = decodeValue(p.Options, &opts)
	}
	defer c.em.unexpectedShape("session/request_permission params", err, emit)
	key := idKey(m.ID)
	c.rpc.mu.Lock()
	c.pending[key] = acpPending{id: append(json.RawMessage(nil), m.ID...), options: opts}
	c.rpc.mu.Unlock()
	emit(c.em.ev(event.PermissionRequest, PermissionRequestData{
		RequestID: key, Tool: p.ToolCall.name(), Input: p.ToolCall.RawInput,
		ToolUseID: p.ToolCall.ToolCallID, Suggestions: p.Options,
	}, line))
}
