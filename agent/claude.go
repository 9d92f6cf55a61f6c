package agent

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/stream"
)

// Claude is the adapter for Claude Code (the `claude` CLI), verified with
// version 2.1.197.
//
// One process serves a whole session:
//
//	claude -p --input-format stream-json --output-format stream-json --verbose
//	       --include-partial-messages --permission-prompt-tool stdio
//	       [--model M] [--permission-mode P] [--resume ID]
//
// Stdin carries JSON lines: an initialize control request first, then user
// turns ({"type":"user",...}), control requests (interrupt) and control
// responses (answers to the CLI's can_use_tool requests). Prompts never go
// to argv. Each turn ends with a result line, from which the adapter
// derives turn.completed and usage.
//
// Running as root, --permission-mode bypassPermissions is refused unless
// the environment has IS_SANDBOX=1; the adapter leaves that to the caller.
type Claude struct{}

// Name returns "claude".
func (Claude) Name() string { return "claude" }

// PerTurn is false: one process serves every turn.
func (Claude) PerTurn() bool { return false }

// Launch builds the command line. It never puts a prompt in argv, and
// refuses a model or mode that is not a plain value (*InvalidOptionError).
func (Claude) Launch(opts SessionOptions, _ *Turn) (LaunchSpec, error) {
	if err := checkOptions("claude", opts); err != nil {
		return LaunchSpec{}, err
	}
	prog := opts.Program
	if prog == "" {
		prog = "claude"
	}
	args := append([]string(nil), opts.Args...)
	args = append(args, "-p",
		"--input-format", "stream-json",
		"--output-format", "stream-json",
		"--verbose",
		"--include-partial-messages",
		"--permission-prompt-tool", "stdio")
	if opts.Model != "" {
		args = append(args, "--model", opts.Model)
	}
	if opts.PermissionMode != "" {
		args = append(args, "--permission-mode", opts.PermissionMode)
	}
	if opts.ResumeID != "" {
		args = append(args, "--resume", opts.ResumeID)
	}
	return LaunchSpec{Program: prog, Args: args, Env: append([]string(nil), opts.Env...), Dir: opts.Cwd, Stdin: true}, nil
}

// NewConn returns the protocol state of one claude process.
func (Claude) NewConn(opts SessionOptions, stdin io.Writer, cfg ConnConfig) Conn {
	return &claudeConn{w: stdin, em: newEmitter(cfg), sessionID: opts.ResumeID, pending: map[string]claudePending{}}
}

type claudePending struct {
	input       json.RawMessage
	suggestions json.RawMessage
}

type claudeConn struct {
	em emitter

	mu        sync.Mutex // guards everything below and serializes writes
	w         io.Writer
	seq       int
	sessionID string
	pending   map[string]claudePending // can_use_tool requests awaiting an answer

	// costTotal is the last total_cost_usd of this process: the CLI
	// reports a running total per process (a resumed process starts from
	// zero again), so a turn's cost is the difference. Touched by Decode
	// only.
	costTotal float64
	// authFailed: the turn's assistant message carried
	// error "authentication_failed" ("Not logged in · Please run /login"),
	// which its result line reports without an HTTP status.
	authFailed bool
}

// writeLine marshals v and writes it as one line. Callers hold c.mu.
func (c *claudeConn) writeLine(v any) error {
	if c.w == nil {
		return io.ErrClosedPipe
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = c.w.Write(b)
	return err
}

func (c *claudeConn) controlRequest(req map[string]any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return c.writeLine(map[string]any{
		"type":       "control_request",
		"request_id": "corral-" + strconv.Itoa(c.seq),
		"request":    req,
	})
}

// Start sends the initialize control request; the CLI answers with a
// control_response before it reads any turn.
func (c *claudeConn) Start() error {
	return c.controlRequest(map[string]any{"subtype": "initialize", "hooks": nil})
}

func (c *claudeConn) SendUserTurn(text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeLine(map[string]any{
		"type":               "user",
		"message":            map[string]any{"role": "user", "content": text},
		"parent_tool_use_id": nil,
		"session_id":         c.sessionID,
	})
}

// Interrupt sends the interrupt control request. The CLI ends the turn with
// a result whose terminal_reason is aborted_*, withdraws pending
// permission requests (control_cancel_request), and keeps running.
func (c *claudeConn) Interrupt() error {
	return c.controlRequest(map[string]any{"subtype": "interrupt"})
}

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

func (c *claudeConn) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// claudeTop holds the raw top-level members of a line the decoder reads,
// all collected in the one validating pass.
type claudeTop struct {
	typ, subtype, sessionID                  []byte
	event, message, parent, toolUseResult    []byte
	errField, status, permissionMode         []byte
	requestID, request, response             []byte
	cwd, model, tools, version               []byte // system/init
	attempt, maxRetries, retryDelay, errorSt []byte // system/api_retry
	isError, apiErrorStatus, durationMs      []byte // result
	durationAPIMs, numTurns, result, stopRsn []byte
	totalCost, usage, modelUsage, denials    []byte
	terminalReason, errors                   []byte
	line                                     []byte
}

func (t *claudeTop) set(k, v []byte) {
	switch string(k) {
	case "type":
		t.typ = v
	case "subtype":
		t.subtype = v
	case "session_id":
		t.sessionID = v
	case "event":
		t.event = v
	case "message":
		t.message = v
	case "parent_tool_use_id":
		t.parent = v
	case "tool_use_result":
		t.toolUseResult = v
	case "error":
		t.errField = v
	case "status":
		t.status = v
	case "permissionMode":
		t.permissionMode = v
	case "request_id":
		t.requestID = v
	case "request":
		t.request = v
	case "response":
		t.response = v
	case "cwd":
		t.cwd = v
	case "model":
		t.model = v
	case "tools":
		t.tools = v
	case "claude_code_version":
		t.version = v
	case "attempt":
		t.attempt = v
	case "max_retries":
		t.maxRetries = v
	case "retry_delay_ms":
		t.retryDelay = v
	case "error_status":
		t.errorSt = v
	case "is_error":
		t.isError = v
	case "api_error_status":
		t.apiErrorStatus = v
	case "duration_ms":
		t.durationMs = v
	case "duration_api_ms":
		t.durationAPIMs = v
	case "num_turns":
		t.numTurns = v
	case "result":
		t.result = v
	case "stop_reason":
		t.stopRsn = v
	case "total_cost_usd":
		t.totalCost = v
	case "usage":
		t.usage = v
	case "modelUsage":
		t.modelUsage = v
	case "permission_denials":
		t.denials = v
	case "terminal_reason":
		t.terminalReason = v
	case "errors":
		t.errors = v
	}
}

// Decode maps one line of Claude Code's stream-json output. The line is
// validated and its top-level members located in one pass; only the
// values an event needs are decoded.
func (c *claudeConn) Decode(src Stream, line []byte, emit func(event.Event)) {
	if src != Stdout || !looksJSON(line) {
		c.em.nonJSON(src, line, nil, emit)
		return
	}
	var t claudeTop
	if stream.ScanObject(line, t.set) != nil {
		c.em.nonJSON(src, line, syntaxError(line), emit)
		return
	}
	t.line = line
	em := c.em
	switch string(unq(t.typ)) {
	case "stream_event":
		c.decodeStreamEvent(&t, emit)
	case "system":
		switch string(unq(t.subtype)) {
		case "init":
			c.decodeInit(&t, emit)
		case "status":
			emit(em.ev(event.AgentStatus, StatusData{Status: str(t.status), PermissionMode: str(t.permissionMode)}, line))
		case "api_retry":
			d := RetryData{
				Attempt: int(integer(t.attempt)), MaxRetries: int(integer(t.maxRetries)),
				DelayMs: integer(t.retryDelay), HTTPStatus: int(integer(t.errorSt)), Error: str(t.errField),
			}
			emit(em.ev(event.AgentRetry, d, line))
		default:
			emit(em.ev(event.AgentOther, nil, line))
		}
	case "assistant":
		c.decodeAssistant(&t, emit)
	case "user":
		c.decodeUser(&t, emit)
	case "result":
		c.decodeResult(&t, emit)
	case "control_request":
		c.decodeControlRequest(&t, emit)
	case "control_cancel_request":
		id := str(t.requestID)
		c.mu.Lock()
		_, had := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if had {
			emit(em.ev(event.PermissionResolved, PermissionResolvedData{RequestID: id, Outcome: "cancelled"}, line))
		} else {
			emit(em.ev(event.AgentOther, nil, line))
		}
	case "control_response":
		if str(stream.Member(t.response, "subtype")) == "error" {
			emit(em.ev(event.ErrorKind, ErrorData{Code: "control_error", Message: str(stream.Member(t.response, "error"))}, line))
		} else {
			emit(em.ev(event.AgentOther, nil, line))
		}
	default:
		// keep_alive and any type a newer CLI adds.
		emit(em.ev(event.AgentOther, nil, line))
	}
}

// syntaxError describes why line is not valid JSON.
func syntaxError(line []byte) error {
	var v any
	if err := json.Unmarshal(line, &v); err != nil {
		return err
	}
	return errors.New("not a JSON object")
}

func (c *claudeConn) setSession(id string) {
	if id == "" {
		return
	}
	c.mu.Lock()
	c.sessionID = id
	c.mu.Unlock()
}

// jsonString returns raw as a string if it is a JSON string, else "".
func jsonString(raw json.RawMessage) string { return str(raw) }

func (c *claudeConn) decodeInit(t *claudeTop, emit func(event.Event)) {
	d := InitData{
		SessionID: str(t.sessionID), Model: str(t.model), Cwd: str(t.cwd),
		PermissionMode: str(t.permissionMode), Version: str(t.version), Tools: strs(t.tools),
	}
	c.setSession(d.SessionID)
	emit(c.em.ev(event.AgentInit, d, t.line))
}

func (c *claudeConn) decodeStreamEvent(t *claudeTop, emit func(event.Event)) {
	var evType, delta []byte
	stream.Members(t.event, func(k, v []byte) bool {
		switch string(k) {
		case "type":
			evType = v
		case "delta":
			delta = v
		}
		return true
	})
	if string(evType) == `"content_block_delta"` {
		var dType, text []byte
		stream.Members(delta, func(k, v []byte) bool {
			switch string(k) {
			case "type":
				dType = v
			case "text", "thinking":
				text = v
			}
			return true
		})
		kind := ""
		switch string(dType) {
		case `"text_delta"`:
			kind = event.AssistantText
		case `"thinking_delta"`:
			kind = event.AssistantThinking
		}
		if kind != "" {
			ev := c.em.ev(kind, nil, t.line)
			ev.Data = textDataRaw(text, true, "", str(t.parent))
			emit(ev)
			return
		}
	}
	// message_start, content_block_start/stop, message_delta,
	// message_stop, signature and tool-input deltas: the complete
	// assistant line that follows carries their content.
	emit(c.em.ev(event.AgentOther, nil, t.line))
}

// claudeBlock is one content block.
type claudeBlock struct {
	typ, text, id, name, input, toolUseID, content []byte
	isError                                        bool
}

func parseBlock(v []byte) claudeBlock {
	var b claudeBlock
	stream.Members(v, func(k, v []byte) bool {
		switch string(k) {
		case "type":
			b.typ = v
		case "text", "thinking":
			if b.text == nil {
				b.text = v
			}
		case "id":
			b.id = v
		case "name":
			b.name = v
		case "input":
			b.input = v
		case "tool_use_id":
			b.toolUseID = v
		case "content":
			b.content = v
		case "is_error":
			b.isError = string(v) == "true"
		}
		return true
	})
	return b
}

// decodeAssistant maps an assistant line: Claude Code prints one per
// content block, with the whole block.
func (c *claudeConn) decodeAssistant(t *claudeTop, emit func(event.Event)) {
	msgID := str(stream.Member(t.message, "id"))
	parent := str(t.parent)
	errCode := str(t.errField)
	if errCode == "authentication_failed" {
		c.authFailed = true
	}
	rawLine := t.line
	stream.Elements(stream.Member(t.message, "content"), func(v []byte) bool {
		b := parseBlock(v)
		var ev event.Event
		switch str(b.typ) {
		case "text":
			ev = c.em.ev(event.AssistantText, nil, rawLine)
			ev.Data = textDataJSON(TextData{Text: str(b.text), MessageID: msgID, ParentToolUseID: parent, Error: errCode})
		case "thinking":
			ev = c.em.ev(event.AssistantThinking, nil, rawLine)
			ev.Data = textDataJSON(TextData{Text: str(b.text), MessageID: msgID, ParentToolUseID: parent})
		case "tool_use", "server_tool_use":
			ev = c.em.ev(event.ToolCall, ToolCallData{ID: str(b.id), Name: str(b.name), Input: raw(b.input), ParentToolUseID: parent}, rawLine)
		default:
			return true
		}
		emit(ev)
		rawLine = nil
		return true
	})
	if rawLine != nil {
		emit(c.em.ev(event.AgentOther, nil, t.line))
	}
}

// decodeUser maps a user line: tool results, and the CLI's own notes such
// as "[Request interrupted by user]" (those stay agent.other).
func (c *claudeConn) decodeUser(t *claudeTop, emit func(event.Event)) {
	rawLine := t.line
	stream.Elements(stream.Member(t.message, "content"), func(v []byte) bool {
		b := parseBlock(v)
		if str(b.typ) != "tool_result" {
			return true
		}
		d := ToolResultData{ID: str(b.toolUseID), Output: blockText(b.content), IsError: b.isError}
		if len(t.toolUseResult) > 0 && t.toolUseResult[0] == '{' {
			d.Details = raw(t.toolUseResult)
		}
		emit(c.em.ev(event.ToolResult, d, rawLine))
		rawLine = nil
		return true
	})
	if rawLine != nil {
		emit(c.em.ev(event.AgentOther, nil, t.line))
	}
}

// blockText flattens a tool_result content (a string or blocks).
func blockText(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if v[0] == '"' {
		return str(v)
	}
	var sb strings.Builder
	n := 0
	stream.Elements(v, func(e []byte) bool {
		b := parseBlock(e)
		if str(b.typ) == "text" {
			if n > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(str(b.text))
			n++
		}
		return true
	})
	return sb.String()
}

// decodeResult maps the result line that ends every turn into usage and
// turn.completed. The outcome comes from is_error, api_error_status and
// terminal_reason: the subtype says "success" even for API errors.
func (c *claudeConn) decodeResult(t *claudeTop, emit func(event.Event)) {
	r := claudeResult{
		subtype: str(t.subtype), isError: string(t.isError) == "true", apiStatus: int(integer(t.apiErrorStatus)),
		result: str(t.result), stopReason: str(t.stopRsn), sessionID: str(t.sessionID),
		terminalReason: str(t.terminalReason), errors: strs(t.errors),
	}
	u := UsageData{
		DurationMs: integer(t.durationMs), APIDurationMs: integer(t.durationAPIMs),
		NumTurns: int(integer(t.numTurns)), Models: raw(t.modelUsage),
	}
	u.CostUSD, u.ProcessCostUSD, c.costTotal = turnCost(c.costTotal, num(t.totalCost))
	stream.Members(t.usage, func(k, v []byte) bool {
		switch string(k) {
		case "input_tokens":
			u.InputTokens = integer(v)
		case "output_tokens":
			u.OutputTokens = integer(v)
		case "cache_read_input_tokens":
			u.CacheReadTokens = integer(v)
		case "cache_creation_input_tokens":
			u.CacheWriteTokens = integer(v)
		}
		return true
	})
	c.setSession(r.sessionID)
	emit(c.em.ev(event.Usage, u, t.line))

	d := TurnCompletedData{OK: !r.isError, StopReason: r.stopReason, SessionID: r.sessionID, Result: r.result}
	if len(t.denials) > 2 { // more than "[]"
		d.PermissionDenials = raw(t.denials)
	}
	if r.isError {
		d.Error = claudeTurnError(&r)
		if c.authFailed && d.Error.Code == CodeAgent {
			d.Error.Code = CodeAuth // not logged in: no HTTP status, but the same remedy
		}
	}
	c.authFailed = false
	emit(c.em.ev(event.TurnCompleted, d, nil))
}

// turnCost splits a running total into the turn's cost: total minus the
// previous total. A total lower than the previous one (a CLI that reports
// per turn, or restarted its count) is the turn's cost itself. It returns
// the turn's cost, the running total and the new previous total.
func turnCost(prev, total float64) (turn, running, next float64) {
	if total < prev {
		return total, total, total
	}
	return total - prev, total, total
}

type claudeResult struct {
	subtype, result, stopReason, sessionID, terminalReason string
	isError                                                bool
	apiStatus                                              int
	errors                                                 []string
}

func claudeTurnError(r *claudeResult) *TurnError {
	msg := r.result
	if msg == "" && len(r.errors) > 0 {
		msg = strings.Join(r.errors, "; ")
	}
	switch {
	case r.apiStatus != 0:
		return &TurnError{Code: codeForStatus(r.apiStatus), HTTPStatus: r.apiStatus, Message: msg}
	case strings.HasPrefix(r.terminalReason, "aborted"):
		return &TurnError{Code: CodeInterrupted, Message: r.terminalReason}
	case r.subtype == "error_max_turns":
		return &TurnError{Code: CodeMaxTurns, Message: msg}
	default:
		return &TurnError{Code: CodeAgent, Message: msg}
	}
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
	json.Unmarshal(t.request, &r) //nolint:errcheck // an unknown shape is answered below
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
