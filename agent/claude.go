package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/corral-dev/corral/event"
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

// Launch builds the command line. It never puts a prompt in argv.
func (Claude) Launch(opts SessionOptions, _ *Turn) (LaunchSpec, error) {
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

// The type prefix Claude Code prints first on its most frequent line.
var claudeStreamEventPrefix = []byte(`{"type":"stream_event"`)

// claudeStreamLine is a stream_event line: a raw API SSE event.
type claudeStreamLine struct {
	Event struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
		Delta struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			Thinking string `json:"thinking"`
		} `json:"delta"`
	} `json:"event"`
	ParentToolUseID *string `json:"parent_tool_use_id"`
}

// claudeLine holds the fields of every other line type.
type claudeLine struct {
	Type      string `json:"type"`
	Subtype   string `json:"subtype"`
	SessionID string `json:"session_id"`

	// system/init, system/status
	Cwd            string   `json:"cwd"`
	Model          string   `json:"model"`
	PermissionMode string   `json:"permissionMode"`
	Tools          []string `json:"tools"`
	Version        string   `json:"claude_code_version"`
	Status         *string  `json:"status"`

	// system/api_retry
	Attempt      int             `json:"attempt"`
	MaxRetries   int             `json:"max_retries"`
	RetryDelayMs float64         `json:"retry_delay_ms"`
	ErrorStatus  *int            `json:"error_status"`
	Error        json.RawMessage `json:"error"` // a string on api_retry and on error messages

	// assistant, user
	Message         json.RawMessage `json:"message"`
	ParentToolUseID *string         `json:"parent_tool_use_id"`
	ToolUseResult   json.RawMessage `json:"tool_use_result"`

	// result
	IsError           bool            `json:"is_error"`
	APIErrorStatus    *int            `json:"api_error_status"`
	DurationMs        int64           `json:"duration_ms"`
	DurationAPIMs     int64           `json:"duration_api_ms"`
	NumTurns          int             `json:"num_turns"`
	Result            string          `json:"result"`
	StopReason        *string         `json:"stop_reason"`
	TotalCostUSD      float64         `json:"total_cost_usd"`
	Usage             *claudeUsage    `json:"usage"`
	ModelUsage        json.RawMessage `json:"modelUsage"`
	PermissionDenials json.RawMessage `json:"permission_denials"`
	TerminalReason    string          `json:"terminal_reason"`
	Errors            []string        `json:"errors"`

	// control_request, control_response, control_cancel_request
	RequestID string          `json:"request_id"`
	Request   json.RawMessage `json:"request"`
	Response  json.RawMessage `json:"response"`
}

type claudeUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
}

type claudeMessage struct {
	ID      string          `json:"id"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"` // a string or blocks
}

type claudeBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Thinking  string          `json:"thinking"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Decode maps one line of Claude Code's stream-json output.
func (c *claudeConn) Decode(stream Stream, line []byte, emit func(event.Event)) {
	if stream != Stdout || !looksJSON(line) {
		c.em.nonJSON(stream, line, nil, emit)
		return
	}
	if bytes.HasPrefix(line, claudeStreamEventPrefix) {
		c.decodeStreamEvent(line, emit)
		return
	}
	var l claudeLine
	if err := json.Unmarshal(line, &l); err != nil {
		c.em.nonJSON(stream, line, err, emit)
		return
	}
	em := c.em
	switch l.Type {
	case "stream_event":
		c.decodeStreamEvent(line, emit)
	case "system":
		switch l.Subtype {
		case "init":
			c.setSession(l.SessionID)
			emit(em.ev(event.AgentInit, InitData{
				SessionID: l.SessionID, Model: l.Model, Cwd: l.Cwd,
				PermissionMode: l.PermissionMode, Version: l.Version, Tools: l.Tools,
			}, line))
		case "status":
			emit(em.ev(event.AgentStatus, StatusData{Status: deref(l.Status), PermissionMode: l.PermissionMode}, line))
		case "api_retry":
			d := RetryData{Attempt: l.Attempt, MaxRetries: l.MaxRetries, DelayMs: int64(l.RetryDelayMs), Error: jsonString(l.Error)}
			if l.ErrorStatus != nil {
				d.HTTPStatus = *l.ErrorStatus
			}
			emit(em.ev(event.AgentRetry, d, line))
		default:
			emit(em.ev(event.AgentOther, nil, line))
		}
	case "assistant":
		c.decodeAssistant(&l, line, emit)
	case "user":
		c.decodeUser(&l, line, emit)
	case "result":
		c.decodeResult(&l, line, emit)
	case "control_request":
		c.decodeControlRequest(&l, line, emit)
	case "control_cancel_request":
		c.mu.Lock()
		_, had := c.pending[l.RequestID]
		delete(c.pending, l.RequestID)
		c.mu.Unlock()
		if had {
			emit(em.ev(event.PermissionResolved, PermissionResolvedData{RequestID: l.RequestID, Outcome: "cancelled"}, line))
		} else {
			emit(em.ev(event.AgentOther, nil, line))
		}
	case "control_response":
		var r struct {
			Subtype string `json:"subtype"`
			Error   string `json:"error"`
		}
		json.Unmarshal(l.Response, &r) //nolint:errcheck // shape checked below
		if r.Subtype == "error" {
			emit(em.ev(event.ErrorKind, ErrorData{Code: "control_error", Message: r.Error}, line))
		} else {
			emit(em.ev(event.AgentOther, nil, line))
		}
	default:
		// keep_alive and any type a newer CLI adds.
		emit(em.ev(event.AgentOther, nil, line))
	}
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
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	json.Unmarshal(raw, &s) //nolint:errcheck // a quoted value always parses
	return s
}

func (c *claudeConn) decodeStreamEvent(line []byte, emit func(event.Event)) {
	var s claudeStreamLine
	if err := json.Unmarshal(line, &s); err != nil {
		c.em.nonJSON(Stdout, line, err, emit)
		return
	}
	if s.Event.Type == "content_block_delta" {
		switch s.Event.Delta.Type {
		case "text_delta":
			emit(c.em.ev(event.AssistantText, TextData{Text: s.Event.Delta.Text, Delta: true, ParentToolUseID: deref(s.ParentToolUseID)}, line))
			return
		case "thinking_delta":
			emit(c.em.ev(event.AssistantThinking, TextData{Text: s.Event.Delta.Thinking, Delta: true, ParentToolUseID: deref(s.ParentToolUseID)}, line))
			return
		}
	}
	// message_start, content_block_start/stop, message_delta,
	// message_stop, signature and tool-input deltas: the complete
	// assistant line that follows carries their content.
	emit(c.em.ev(event.AgentOther, nil, line))
}

// decodeAssistant maps an assistant line: Claude Code prints one per
// content block, with the whole block.
func (c *claudeConn) decodeAssistant(l *claudeLine, line []byte, emit func(event.Event)) {
	var m claudeMessage
	var blocks []claudeBlock
	if json.Unmarshal(l.Message, &m) == nil {
		json.Unmarshal(m.Content, &blocks) //nolint:errcheck // a string content has no blocks
	}
	parent := deref(l.ParentToolUseID)
	errCode := jsonString(l.Error)
	raw := line
	for _, b := range blocks {
		var ev event.Event
		switch b.Type {
		case "text":
			ev = c.em.ev(event.AssistantText, TextData{Text: b.Text, MessageID: m.ID, ParentToolUseID: parent, Error: errCode}, raw)
		case "thinking":
			ev = c.em.ev(event.AssistantThinking, TextData{Text: b.Thinking, MessageID: m.ID, ParentToolUseID: parent}, raw)
		case "tool_use", "server_tool_use":
			ev = c.em.ev(event.ToolCall, ToolCallData{ID: b.ID, Name: b.Name, Input: b.Input, ParentToolUseID: parent}, raw)
		default:
			continue
		}
		emit(ev)
		raw = nil
	}
	if raw != nil {
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

// decodeUser maps a user line: tool results, and the CLI's own notes such
// as "[Request interrupted by user]" (those stay agent.other).
func (c *claudeConn) decodeUser(l *claudeLine, line []byte, emit func(event.Event)) {
	var m claudeMessage
	var blocks []claudeBlock
	if json.Unmarshal(l.Message, &m) == nil {
		json.Unmarshal(m.Content, &blocks) //nolint:errcheck // a string content has no blocks
	}
	raw := line
	for _, b := range blocks {
		if b.Type != "tool_result" {
			continue
		}
		d := ToolResultData{ID: b.ToolUseID, Output: blockText(b.Content), IsError: b.IsError}
		if len(l.ToolUseResult) > 0 && l.ToolUseResult[0] == '{' {
			d.Details = l.ToolUseResult
		}
		emit(c.em.ev(event.ToolResult, d, raw))
		raw = nil
	}
	if raw != nil {
		emit(c.em.ev(event.AgentOther, nil, line))
	}
}

// blockText flattens a tool_result content (a string or blocks).
func blockText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	if raw[0] == '"' {
		return jsonString(raw)
	}
	var blocks []claudeBlock
	if json.Unmarshal(raw, &blocks) != nil {
		return string(raw)
	}
	var sb strings.Builder
	for i, b := range blocks {
		if b.Type == "text" {
			if i > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(b.Text)
		}
	}
	return sb.String()
}

// decodeResult maps the result line that ends every turn into usage and
// turn.completed. The outcome comes from is_error, api_error_status and
// terminal_reason: the subtype says "success" even for API errors.
func (c *claudeConn) decodeResult(l *claudeLine, line []byte, emit func(event.Event)) {
	c.setSession(l.SessionID)
	u := UsageData{
		CostUSD: l.TotalCostUSD, DurationMs: l.DurationMs, APIDurationMs: l.DurationAPIMs,
		NumTurns: l.NumTurns, Models: l.ModelUsage,
	}
	if l.Usage != nil {
		u.InputTokens = l.Usage.InputTokens
		u.OutputTokens = l.Usage.OutputTokens
		u.CacheReadTokens = l.Usage.CacheReadInputTokens
		u.CacheWriteTokens = l.Usage.CacheCreationInputTokens
	}
	emit(c.em.ev(event.Usage, u, line))

	d := TurnCompletedData{OK: !l.IsError, StopReason: deref(l.StopReason), SessionID: l.SessionID, Result: l.Result}
	if len(l.PermissionDenials) > 2 { // more than "[]"
		d.PermissionDenials = l.PermissionDenials
	}
	if l.IsError {
		d.Error = claudeTurnError(l)
	}
	emit(c.em.ev(event.TurnCompleted, d, nil))
}

func claudeTurnError(l *claudeLine) *TurnError {
	msg := l.Result
	if msg == "" && len(l.Errors) > 0 {
		msg = strings.Join(l.Errors, "; ")
	}
	switch {
	case l.APIErrorStatus != nil && *l.APIErrorStatus != 0:
		return &TurnError{Code: codeForStatus(*l.APIErrorStatus), HTTPStatus: *l.APIErrorStatus, Message: msg}
	case strings.HasPrefix(l.TerminalReason, "aborted"):
		return &TurnError{Code: CodeInterrupted, Message: l.TerminalReason}
	case l.Subtype == "error_max_turns":
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
func (c *claudeConn) decodeControlRequest(l *claudeLine, line []byte, emit func(event.Event)) {
	var r struct {
		Subtype     string          `json:"subtype"`
		ToolName    string          `json:"tool_name"`
		Input       json.RawMessage `json:"input"`
		Description string          `json:"description"`
		ToolUseID   string          `json:"tool_use_id"`
		Suggestions json.RawMessage `json:"permission_suggestions"`
	}
	json.Unmarshal(l.Request, &r) //nolint:errcheck // an unknown shape is answered below
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
	if err != nil {
		emit(c.em.ev(event.ErrorKind, ErrorData{Code: "stdin_broken", Message: err.Error()}, nil))
	}
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
