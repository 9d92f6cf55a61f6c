package agent

import (
	"encoding/json"
	"io"
	"sort"
	"strings"

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
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.threadID == "" {
		c.queued = append(c.queued, text)
		return nil
	}
	return c.startTurn(text)
}

// startTurn writes turn/start. Callers hold rpc.mu.
func (c *codexConn) startTurn(text string) error {
	_, err := c.rpc.call("turn/start", map[string]any{
		"threadId": c.threadID,
		"input":    []any{map[string]any{"type": "text", "text": text, "text_elements": []any{}}},
	})
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

func (c *codexConn) SessionID() string {
	c.rpc.mu.Lock()
	defer c.rpc.mu.Unlock()
	if c.threadID != "" {
		return c.threadID
	}
	return c.opts.ResumeID
}

// codexItem is a ThreadItem; fields depend on its type.
type codexItem struct {
	Type             string          `json:"type"`
	ID               string          `json:"id"`
	Text             string          `json:"text"`
	Command          string          `json:"command"`
	Cwd              string          `json:"cwd"`
	Status           string          `json:"status"`
	AggregatedOutput *string         `json:"aggregatedOutput"`
	ExitCode         *int            `json:"exitCode"`
	Changes          json.RawMessage `json:"changes"`
	Server           string          `json:"server"`
	Tool             string          `json:"tool"`
	Arguments        json.RawMessage `json:"arguments"`
	Result           json.RawMessage `json:"result"`
	Error            json.RawMessage `json:"error"`
	Summary          json.RawMessage `json:"summary"`
	Content          json.RawMessage `json:"content"`
}

type codexParams struct {
	ThreadID string          `json:"threadId"`
	TurnID   string          `json:"turnId"`
	ItemID   string          `json:"itemId"`
	Delta    string          `json:"delta"`
	Item     *codexItem      `json:"item"`
	Turn     *codexTurn      `json:"turn"`
	Thread   *codexThread    `json:"thread"`
	Status   json.RawMessage `json:"status"`
	Error    *codexTurnError `json:"error"`
	// WillRetry is set on error notifications.
	WillRetry  bool            `json:"willRetry"`
	TokenUsage json.RawMessage `json:"tokenUsage"`
	// Approval requests.
	Command  json.RawMessage `json:"command"`
	Cwd      string          `json:"cwd"`
	Reason   string          `json:"reason"`
	CallID   string          `json:"callId"`
	Changes  json.RawMessage `json:"changes"`
	Proposed json.RawMessage `json:"proposedExecpolicyAmendment"`
	Avail    json.RawMessage `json:"availableDecisions"`
}

type codexTurn struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Error      *codexTurnError `json:"error"`
	DurationMs int64           `json:"durationMs"`
}

type codexTurnError struct {
	Message           string          `json:"message"`
	CodexErrorInfo    json.RawMessage `json:"codexErrorInfo"`
	AdditionalDetails string          `json:"additionalDetails"`
}

type codexThread struct {
	ID         string `json:"id"`
	CliVersion string `json:"cliVersion"`
	Cwd        string `json:"cwd"`
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
				json.Unmarshal(v, m.Error) //nolint:errcheck // a malformed error keeps its zero fields
			}
		}
	})
	if err != nil {
		c.em.nonJSON(src, line, syntaxError(line), emit)
		return
	}
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
		json.Unmarshal(m.Result, &r) //nolint:errcheck // missing fields stay empty
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
		json.Unmarshal(m.Result, &r) //nolint:errcheck
		c.rpc.mu.Lock()
		c.turnID = r.Turn.ID
		c.ownTurnLocked(r.Turn.ID)
		c.rpc.mu.Unlock()
		emit(c.em.ev(event.AgentOther, nil, line))
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

func (c *codexConn) notification(m *rpcMessage, line []byte, emit func(event.Event)) {
	params := m.Params
	var p codexParams
	switch m.Method {
	case "item/started", "item/completed", "turn/started", "turn/completed", "error",
		"item/reasoning/textDelta", "item/reasoning/summaryTextDelta":
		parseCodexParams(params, &p)
	}
	em := c.em
	switch m.Method {
	case "item/agentMessage/delta":
		emit(em.ev(event.AssistantText, TextData{Text: p.Delta, Delta: true, MessageID: p.ItemID}, line))
	case "item/reasoning/textDelta", "item/reasoning/summaryTextDelta":
		emit(em.ev(event.AssistantThinking, TextData{Text: p.Delta, Delta: true, MessageID: p.ItemID}, line))
	case "item/started":
		c.itemStarted(p.Item, line, emit)
	case "item/completed":
		c.itemCompleted(p.Item, line, emit)
	case "turn/started":
		if p.Turn != nil {
			c.rpc.mu.Lock()
			c.turnID = p.Turn.ID
			c.ownTurnLocked(p.Turn.ID)
			c.rpc.mu.Unlock()
		}
		emit(em.ev(event.AgentStatus, StatusData{Status: "turn_started"}, line))
	case "thread/status/changed":
		var st struct {
			Type        string   `json:"type"`
			ActiveFlags []string `json:"activeFlags"`
		}
		json.Unmarshal(stream.Member(params, "status"), &st) //nolint:errcheck // absent: empty status
		s := st.Type
		if len(st.ActiveFlags) > 0 {
			s += ":" + strings.Join(st.ActiveFlags, ",")
		}
		emit(em.ev(event.AgentStatus, StatusData{Status: s}, line))
	case "thread/tokenUsage/updated":
		c.tokenUsage(params, line, emit)
	case "turn/completed":
		c.turnCompleted(&p, line, emit)
	case "error":
		msg := ""
		if p.Error != nil {
			msg = p.Error.Message
		}
		if p.WillRetry {
			emit(em.ev(event.AgentRetry, RetryData{Error: msg, HTTPStatus: codexHTTPStatus(p.Error)}, line))
		} else {
			emit(em.ev(event.ErrorKind, ErrorData{Code: "agent_error", Message: msg}, line))
		}
	case "serverRequest/resolved":
		var r struct {
			RequestID json.RawMessage `json:"requestId"`
		}
		r.RequestID = stream.Member(params, "requestId")
		key := idKey(r.RequestID)
		c.rpc.mu.Lock()
		_, had := c.pending[key]
		delete(c.pending, key)
		c.rpc.mu.Unlock()
		if had {
			// Resolved without our answer: the turn was interrupted.
			emit(em.ev(event.PermissionResolved, PermissionResolvedData{RequestID: key, Outcome: "cancelled"}, line))
		} else {
			emit(em.ev(event.AgentOther, nil, line))
		}
	default:
		emit(em.ev(event.AgentOther, nil, line))
	}
}

func (c *codexConn) itemStarted(it *codexItem, line []byte, emit func(event.Event)) {
	if it == nil {
		emit(c.em.ev(event.AgentOther, nil, line))
		return
	}
	switch it.Type {
	case "commandExecution":
		in, _ := json.Marshal(map[string]any{"command": it.Command, "cwd": it.Cwd})
		emit(c.em.ev(event.ToolCall, ToolCallData{ID: it.ID, Name: "commandExecution", Input: in, Status: it.Status}, line))
	case "fileChange":
		in, _ := json.Marshal(map[string]any{"changes": it.Changes})
		emit(c.em.ev(event.ToolCall, ToolCallData{ID: it.ID, Name: "fileChange", Input: in, Status: it.Status}, line))
	case "mcpToolCall":
		emit(c.em.ev(event.ToolCall, ToolCallData{ID: it.ID, Name: it.Server + "." + it.Tool, Input: it.Arguments, Status: it.Status}, line))
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

func (c *codexConn) itemCompleted(it *codexItem, line []byte, emit func(event.Event)) {
	if it == nil {
		emit(c.em.ev(event.AgentOther, nil, line))
		return
	}
	switch it.Type {
	case "agentMessage":
		emit(c.em.ev(event.AssistantText, TextData{Text: it.Text, MessageID: it.ID}, line))
	case "reasoning":
		text := joinStrings(it.Summary)
		if text == "" {
			text = joinStrings(it.Content)
		}
		emit(c.em.ev(event.AssistantThinking, TextData{Text: text, MessageID: it.ID}, line))
	case "commandExecution", "fileChange", "mcpToolCall":
		d := ToolResultData{ID: it.ID, Status: it.Status, ExitCode: it.ExitCode}
		switch {
		case it.AggregatedOutput != nil:
			d.Output = *it.AggregatedOutput
		case len(it.Result) > 0 && string(it.Result) != "null":
			d.Output = string(it.Result)
		case len(it.Error) > 0 && string(it.Error) != "null":
			d.Output = string(it.Error)
		}
		d.IsError = it.Status != "completed" || (it.ExitCode != nil && *it.ExitCode != 0)
		emit(c.em.ev(event.ToolResult, d, line))
	default:
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

func (c *codexConn) turnCompleted(p *codexParams, line []byte, emit func(event.Event)) {
	d := TurnCompletedData{SessionID: p.ThreadID}
	if p.Turn != nil {
		d.StopReason = p.Turn.Status
		switch p.Turn.Status {
		case "completed":
			d.OK = true
		case "interrupted":
			d.Error = &TurnError{Code: CodeInterrupted, Message: "interrupted"}
		default:
			te := &TurnError{Code: CodeAgent, Message: p.Turn.Status}
			if e := p.Turn.Error; e != nil {
				te.Message = e.Message
				if e.AdditionalDetails != "" {
					te.Message += ": " + e.AdditionalDetails
				}
				if st := codexHTTPStatus(e); st != 0 {
					te.Code, te.HTTPStatus = codeForStatus(st), st
				} else if code := codexInfoCode(e.CodexErrorInfo); code != "" {
					te.Code = code
				}
			}
			d.Error = te
		}
		c.rpc.mu.Lock()
		if c.turnID == p.Turn.ID {
			c.turnID = ""
		}
		// Codex drops approvals still pending when their turn ends (an
		// interrupt) without telling the client: withdraw them here so
		// no dialog waits for a request that no longer exists.
		var dropped []string
		for key, pend := range c.pending {
			if pend.turnID == "" || pend.turnID == p.Turn.ID {
				dropped = append(dropped, key)
				delete(c.pending, key)
			}
		}
		c.rpc.mu.Unlock()
		sort.Strings(dropped)
		for _, key := range dropped {
			// The line travels on the first event it produced.
			emit(c.em.ev(event.PermissionResolved, PermissionResolvedData{RequestID: key, Outcome: "cancelled"}, line))
			line = nil
		}
	}
	emit(c.em.ev(event.TurnCompleted, d, line))
}

// codexHTTPStatus digs the HTTP status out of a turn error's
// codexErrorInfo (variants such as {"responseStreamConnectionFailed":
// {"httpStatusCode":429}}) or, failing that, its message.
func codexHTTPStatus(e *codexTurnError) int {
	if e == nil {
		return 0
	}
	var info map[string]struct {
		HTTPStatusCode *int `json:"httpStatusCode"`
	}
	if json.Unmarshal(e.CodexErrorInfo, &info) == nil {
		for _, v := range info {
			if v.HTTPStatusCode != nil {
				return *v.HTTPStatusCode
			}
		}
	}
	if jsonString(e.CodexErrorInfo) == "internalServerError" {
		// Codex hides the body and status of a 5xx behind this variant
		// (and a generic "high demand" message); the variant names it.
		return 500
	}
	for _, s := range []struct {
		text   string
		status int
	}{{"401 Unauthorized", 401}, {"429 Too Many Requests", 429}, {"500 Internal Server Error", 500}, {"403 Forbidden", 403}} {
		if strings.Contains(e.Message, s.text) || strings.Contains(e.AdditionalDetails, s.text) {
			return s.status
		}
	}
	return 0
}

// codexInfoCode maps codexErrorInfo variants without a status.
func codexInfoCode(info json.RawMessage) string {
	s := string(info)
	switch {
	case strings.Contains(s, "unauthorized"):
		return CodeAuth
	case strings.Contains(s, "usageLimitExceeded"):
		return CodeRateLimit
	case strings.Contains(s, "serverOverloaded"):
		return CodeOverloaded
	case strings.Contains(s, "Connection"):
		return CodeAPI
	}
	return ""
}

// serverRequest handles a request from app-server: approvals become
// permission.request; anything else is refused so Codex does not wait.
func (c *codexConn) serverRequest(m *rpcMessage, line []byte, emit func(event.Event)) {
	key := idKey(m.ID)
	var p codexParams
	json.Unmarshal(m.Params, &p) //nolint:errcheck // fields stay empty
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
		d.Input = m.Params
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

// parseCodexParams reads the members of a notification's params the
// decoder uses, with the scanner (the line was validated).
func parseCodexParams(b []byte, p *codexParams) {
	stream.Members(b, func(k, v []byte) bool {
		switch string(k) {
		case "threadId":
			p.ThreadID = str(v)
		case "turnId":
			p.TurnID = str(v)
		case "itemId":
			p.ItemID = str(v)
		case "delta":
			p.Delta = str(v)
		case "willRetry":
			p.WillRetry = string(v) == "true"
		case "item":
			if !isNull(v) {
				p.Item = parseCodexItem(v)
			}
		case "turn":
			if !isNull(v) {
				t := &codexTurn{}
				stream.Members(v, func(k, v []byte) bool {
					switch string(k) {
					case "id":
						t.ID = str(v)
					case "status":
						t.Status = str(v)
					case "durationMs":
						t.DurationMs = integer(v)
					case "error":
						t.Error = parseCodexError(v)
					}
					return true
				})
				p.Turn = t
			}
		case "error":
			p.Error = parseCodexError(v)
		}
		return true
	})
}

func parseCodexError(v []byte) *codexTurnError {
	if isNull(v) || v[0] != '{' {
		return nil
	}
	e := &codexTurnError{}
	stream.Members(v, func(k, v []byte) bool {
		switch string(k) {
		case "message":
			e.Message = str(v)
		case "codexErrorInfo":
			e.CodexErrorInfo = raw(v)
		case "additionalDetails":
			e.AdditionalDetails = str(v)
		}
		return true
	})
	return e
}

func parseCodexItem(v []byte) *codexItem {
	it := &codexItem{}
	stream.Members(v, func(k, v []byte) bool {
		switch string(k) {
		case "type":
			it.Type = str(v)
		case "id":
			it.ID = str(v)
		case "text":
			it.Text = str(v)
		case "command":
			it.Command = str(v)
		case "cwd":
			it.Cwd = str(v)
		case "status":
			it.Status = str(v)
		case "aggregatedOutput":
			if len(v) > 0 && v[0] == '"' {
				s := str(v)
				it.AggregatedOutput = &s
			}
		case "exitCode":
			if !isNull(v) {
				n := int(integer(v))
				it.ExitCode = &n
			}
		case "changes":
			it.Changes = raw(v)
		case "server":
			it.Server = str(v)
		case "tool":
			it.Tool = str(v)
		case "arguments":
			it.Arguments = raw(v)
		case "result":
			it.Result = raw(v)
		case "error":
			it.Error = raw(v)
		case "summary":
			it.Summary = raw(v)
		case "content":
			it.Content = raw(v)
		}
		return true
	})
	return it
}
