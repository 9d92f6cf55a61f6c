package agent

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/stream"
)

// Decoding Codex app-server notifications into events: items, deltas,
// turn completion and its errors.

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
		defer c.em.unexpectedShape(m.Method+" status", decodeValue(stream.Member(params, "status"), &st), emit)
		s := st.Type
		if len(st.ActiveFlags) > 0 {
			s += ":" + strings.Join(st.ActiveFlags, ",")
		}
		emit(em.ev(event.AgentStatus, StatusData{Status: s}, line))
	case "thread/tokenUsage/updated":
		c.tokenUsage(params, line, emit)
	case "account/rateLimits/updated":
		d, ok := codexRateLimits(params)
		emit(em.rateLimitsEvent(d, ok, line))
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
