package agent

import (
	"encoding/json"
	"io"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/stream"
)

// Codex is the adapter for OpenAI's Codex CLI through `codex app-server`,
// verified with version 0.171.0.
//
// App-server speaks JSON-RPC over newline-delimited stdio and serves a whole
// session from one process: initialize, then thread/start (or
// thread/resume with SessionOptions.ResumeID), then one turn/start per
// user turn. Approvals arrive as server requests
// (item/commandExecution/requestApproval and friends) and are answered
// with a decision; turn/interrupt stops a turn and keeps the thread.
// Whether Codex asks at all depends on the approval policy
// (SessionOptions.PermissionMode): "untrusted" asks before any command that
// is not known to be safe; "on-request" and "never" run in the sandbox
// without asking. The protocol is marked experimental upstream, so the
// version is pinned.
type Codex struct{}

// Name returns "codex".
func (Codex) Name() string { return "codex" }

// PerTurn is false: app-server keeps the thread across turns.
func (Codex) PerTurn() bool { return false }

// Launch returns `codex [args] app-server`. Model, approval policy, sandbox
// and the thread to resume are sent in thread/start, not on the command
// line; a model or mode that is not a plain value is refused here
// (*InvalidOptionError).
func (Codex) Launch(opts SessionOptions, _ *Turn) (LaunchSpec, error) {
	if err := checkOptions("codex", opts); err != nil {
		return LaunchSpec{}, err
	}
	prog := opts.Program
	if prog == "" {
		prog = "codex"
	}
	args := append(append([]string(nil), opts.Args...), "app-server")
	return LaunchSpec{Program: prog, Args: args, Env: append([]string(nil), opts.Env...), Dir: opts.Cwd, Stdin: true}, nil
}

// NewConn returns the protocol state of one app-server process.
func (Codex) NewConn(opts SessionOptions, stdin io.Writer, cfg ConnConfig) Conn {
	return &codexConn{opts: opts, em: newEmitter(cfg), rpc: rpcWriter{w: stdin}, pending: map[string]codexPending{}}
}

type codexPending struct {
	id     json.RawMessage
	method string
	turnID string
}

type codexConn struct {
	opts SessionOptions
	em   emitter

	// rpc.mu guards the fields below as well as writes.
	rpc      rpcWriter
	threadID string
	turnID   string
	queued   turnQueue // turns sent before the thread existed
	pending  map[string]codexPending
	// turns are the turns this process started; tokens is the thread
	// total its usage events have accounted for (see codexUsage).
	turns  map[string]bool
	tokens codexTokens
	// nextModel and nextApproval are a model and approval policy chosen
	// while the process runs (SetModel, SetPermissionMode): they go with
	// the next turn/start.
	nextModel, nextApproval string
}

// Start sends initialize, initialized and thread/start (or thread/resume)
// at once: app-server handles stdin lines in order.
func (c *codexConn) Start() error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if _, err := c.rpc.call("initialize", map[string]any{
		"clientInfo":   map[string]any{"name": "corral", "title": "corral", "version": "0"},
		"capabilities": map[string]any{"experimentalApi": false},
	}); err != nil {
		return err
	}
	if err := c.rpc.notify("initialized", nil); err != nil {
		return err
	}
	params := map[string]any{}
	if c.opts.Cwd != "" {
		params["cwd"] = c.opts.Cwd
	}
	if c.opts.Model != "" {
		params["model"] = c.opts.Model
	}
	if c.opts.PermissionMode != "" {
		params["approvalPolicy"] = c.opts.PermissionMode
	}
	if c.opts.Sandbox != "" {
		params["sandbox"] = c.opts.Sandbox
	}
	method := "thread/start"
	if c.opts.ResumeID != "" {
		method = "thread/resume"
		params["threadId"] = c.opts.ResumeID
	}
	_, err := c.rpc.call(method, params)
	return err
}

// SendUserTurn starts a turn; before the thread exists the turn is queued
// and sent when thread/start answers.
func (c *codexConn) SendUserTurn(text string) error {
	return c.SendUserTurnWith(UserTurn{Text: text})
}

// SendUserTurnWith starts a turn whose input holds the images as
// localImage items (CodexInput).
func (c *codexConn) SendUserTurnWith(t UserTurn) error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.threadID == "" {
		c.queued = append(c.queued, t)
		return nil
	}
	return c.startTurn(t)
}

// startTurn writes turn/start. Callers hold rpc.mu.
func (c *codexConn) startTurn(t UserTurn) error {
	params := codexTurnOverrides(c.nextModel, c.nextApproval)
	params["threadId"] = c.threadID
	params["input"] = CodexInput(t)
	_, err := c.rpc.call("turn/start", params)
	return err
}

// Interrupt sends turn/interrupt for the running turn; the turn then
// completes with status "interrupted".
func (c *codexConn) Interrupt() error {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.threadID == "" || c.turnID == "" {
		return ErrNotReady
	}
	_, err := c.rpc.call("turn/interrupt", map[string]any{"threadId": c.threadID, "turnId": c.turnID})
	return err
}

func (c *codexConn) SessionID() string {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.threadID != "" {
		return c.threadID
	}
	return c.opts.ResumeID
}

// Decode maps one app-server line. The line is validated and its
// members located in one pass; text deltas, the bulk of a stream, are
// mapped without further decoding.
func (c *codexConn) Decode(src Stream, line []byte, emit func(event.Event)) {
	if src != Stdout || !looksJSON(line) {
		c.em.nonJSON(src, line, nil, emit)
		return
	}
	var m rpcMessage
	var method []byte
	var errShape error
	err := stream.ScanObject(line, func(k, v []byte) {
		switch string(k) {
		case "id":
			m.ID = v
		case "method":
			method = v
		case "params":
			m.Params = v
		case "result":
			m.Result = v
		case "error":
			if !isNull(v) {
				m.Error = &rpcError{}
				// A malformed error keeps its zero fields: the
				// response is still an error response.
				errShape = decodeValue(v, m.Error)
			}
		}
	})
	if err != nil {
		c.em.nonJSON(src, line, syntaxError(line), emit)
		return
	}
	defer func() { c.em.unexpectedShape("error", errShape, emit) }()
	if string(unq(method)) == "item/agentMessage/delta" {
		var delta, itemID []byte
		stream.Members(m.Params, func(k, v []byte) bool {
			switch string(k) {
			case "delta":
				delta = v
			case "itemId":
				itemID = v
			}
			return true
		})
		ev := c.em.ev(event.AssistantText, nil, line)
		ev.Data = textDataRaw(delta, true, str(itemID), "")
		emit(ev)
		return
	}
	m.Method = str(method)
	switch {
	case m.Method != "" && len(m.ID) > 0:
		c.serverRequest(&m, line, emit)
	case m.Method != "":
		c.notification(&m, line, emit)
	case len(m.ID) > 0:
		c.response(&m, line, emit)
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

func (c *codexConn) response(m *rpcMessage, line []byte, emit func(event.Event)) {
	method := c.rpc.takeCall(m.ID)
	if m.Error != nil {
		emit(c.em.ev(event.ErrorKind, ErrorData{Code: "rpc_error", Message: method + ": " + m.Error.Message}, line))
		if method == "turn/start" || method == "thread/start" || method == "thread/resume" {
			// The turn will never run: end it so nobody waits.
			emit(c.em.ev(event.TurnCompleted, TurnCompletedData{Error: &TurnError{Code: CodeAgent, Message: m.Error.Message}}, nil))
		}
		return
	}
	switch method {
	case "thread/start", "thread/resume":
		var r struct {
			Thread         codexThread `json:"thread"`
			Model          string      `json:"model"`
			Cwd            string      `json:"cwd"`
			ApprovalPolicy string      `json:"approvalPolicy"`
		}
		defer c.em.unexpectedShape(method+" result", decodeValue(m.Result, &r), emit)
		emit(c.em.ev(event.AgentInit, InitData{
			SessionID: r.Thread.ID, Model: r.Model, Cwd: r.Cwd,
			PermissionMode: r.ApprovalPolicy, Version: r.Thread.CliVersion,
		}, line))
		c.rpc.mu.Lock()
		c.threadID = r.Thread.ID
		err := c.queued.flush(c.startTurn)
		c.rpc.mu.Unlock()
		c.em.stdinBroken(err, emit)
	case "turn/start":
		var r struct {
			Turn codexTurn `json:"turn"`
		}
		defer c.em.unexpectedShape(method+" result", decodeValue(m.Result, &r), emit)
		c.rpc.mu.Lock()
		c.turnID = r.Turn.ID
		c.ownTurnLocked(r.Turn.ID)
		c.rpc.mu.Unlock()
		emit(c.em.ev(event.AgentOther, nil, line))
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}
