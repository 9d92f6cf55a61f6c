package agent

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/stream"
)

// Decoding Claude Code's stream-json lines into events: the top-level
// members of a line, content blocks, the result line that ends a turn.

// claudeTop holds the raw top-level members of a line the decoder reads,
// all collected in the one validating pass.
type claudeTop struct {
	typ, subtype, sessionID                  []byte
	event, message, parent, toolUseResult    []byte
	errField, status, permissionMode         []byte
	requestID, request, response             []byte
	cwd, model, tools, version               []byte // system/init
	slashCommands                            []byte // system/init
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
	case "slash_commands":
		t.slashCommands = v
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

// syntaxError describes why line is not valid JSON.
func syntaxError(line []byte) error {
	var v any
	if err := json.Unmarshal(line, &v); err != nil {
		return err
	}
	return errors.New("not a JSON object")
}

// jsonString returns raw as a string if it is a JSON string, else "".
func jsonString(raw json.RawMessage) string { return str(raw) }

func (c *claudeConn) decodeInit(t *claudeTop, emit func(event.Event)) {
	d := InitData{
		SessionID: str(t.sessionID), Model: str(t.model), Cwd: str(t.cwd),
		PermissionMode: str(t.permissionMode), Version: str(t.version), Tools: strs(t.tools),
		SlashCommands: strs(t.slashCommands),
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
	switch string(evType) {
	case `"message_start"`, `"message_delta"`:
		if d, ok := c.progress.add(string(evType) == `"message_start"`, t.event); ok {
			emit(c.em.ev(event.UsageProgress, d, t.line))
			return
		}
	}
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
	c.progress = claudeProgress{}
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
