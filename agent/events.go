package agent

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/stream"
)

// Data shapes of the events adapters emit, one per kind. Fields an agent
// does not report are left out.

// InitData is the Data of event.AgentInit.
type InitData struct {
	SessionID      string   `json:"sessionId,omitempty"` // the id to resume with
	Model          string   `json:"model,omitempty"`
	Cwd            string   `json:"cwd,omitempty"`
	PermissionMode string   `json:"permissionMode,omitempty"`
	Version        string   `json:"version,omitempty"` // the CLI's version
	Tools          []string `json:"tools,omitempty"`
	// SlashCommands are the slash commands the agent advertises, without
	// the slash (Claude's system/init slash_commands).
	SlashCommands []string `json:"slashCommands,omitempty"`
	// Models and Modes are the model and mode ids the agent offers, where
	// it says (an ACP agent's session/new result).
	Models []string `json:"models,omitempty"`
	Modes  []string `json:"modes,omitempty"`
}

// CommandsData is the Data of event.AgentCommands: the slash commands
// the agent offers now (the whole list, not a change).
type CommandsData struct {
	Commands []CommandInfo `json:"commands"`
}

// CommandInfo is one advertised slash command, without its slash.
type CommandInfo struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Names returns the commands' names.
func (d CommandsData) Names() []string {
	out := make([]string, 0, len(d.Commands))
	for _, c := range d.Commands {
		if c.Name != "" {
			out = append(out, c.Name)
		}
	}
	return out
}

// StatusData is the Data of event.AgentStatus.
type StatusData struct {
	Status         string `json:"status"`
	PermissionMode string `json:"permissionMode,omitempty"`
}

// RetryData is the Data of event.AgentRetry.
type RetryData struct {
	Attempt    int    `json:"attempt,omitempty"`
	MaxRetries int    `json:"maxRetries,omitempty"`
	DelayMs    int64  `json:"delayMs,omitempty"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	Error      string `json:"error,omitempty"`
}

// TextData is the Data of event.AssistantText and event.AssistantThinking.
// Delta events carry a piece of a block; a whole block (Delta false)
// repeats the text the deltas already carried, so a UI shows either.
type TextData struct {
	Text      string `json:"text"`
	Delta     bool   `json:"delta"`
	MessageID string `json:"messageId,omitempty"`
	// ParentToolUseID is set for text a subagent produced inside a tool
	// call.
	ParentToolUseID string `json:"parentToolUseId,omitempty"`
	// Error is the agent's error code when the text reports an API error.
	Error string `json:"error,omitempty"`
}

// ToolCallData is the Data of event.ToolCall.
type ToolCallData struct {
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input,omitempty"`
	// Status is the agent's own status of the call where it reports one
	// (Codex: inProgress, completed, declined; ACP: pending, in_progress).
	Status          string `json:"status,omitempty"`
	ParentToolUseID string `json:"parentToolUseId,omitempty"`
}

// ToolResultData is the Data of event.ToolResult.
type ToolResultData struct {
	ID      string `json:"id"`
	Output  string `json:"output"`
	IsError bool   `json:"isError"`
	// Status is the agent's final status of the call where it reports
	// one (Codex: completed, failed, declined).
	Status   string          `json:"status,omitempty"`
	ExitCode *int            `json:"exitCode,omitempty"`
	Details  json.RawMessage `json:"details,omitempty"` // agent-specific structured result
}

// PermissionRequestData is the Data of event.PermissionRequest. Answer it
// with Conn.RespondPermission and RequestID.
type PermissionRequestData struct {
	RequestID   string          `json:"requestId"`
	Tool        string          `json:"tool"`
	Input       json.RawMessage `json:"input,omitempty"`
	Description string          `json:"description,omitempty"`
	ToolUseID   string          `json:"toolUseId,omitempty"`
	// Suggestions are the agent's proposed "remember" rules or options.
	Suggestions json.RawMessage `json:"suggestions,omitempty"`
}

// PermissionResolvedData is the Data of event.PermissionResolved that an
// adapter emits when the agent itself withdraws a request (the turn was
// interrupted): a UI must drop its dialog.
type PermissionResolvedData struct {
	RequestID string `json:"requestId"`
	Outcome   string `json:"outcome"` // "cancelled"
}

// UsageData is the Data of event.Usage, reported once per turn.
type UsageData struct {
	InputTokens      int64 `json:"inputTokens"`
	OutputTokens     int64 `json:"outputTokens"`
	CacheReadTokens  int64 `json:"cacheReadTokens,omitempty"`
	CacheWriteTokens int64 `json:"cacheWriteTokens,omitempty"`
	ReasoningTokens  int64 `json:"reasoningTokens,omitempty"`
	// CostUSD is the turn's own cost in US dollars (Claude's running total
	// per process is turned into per-turn figures).
	CostUSD float64 `json:"costUsd,omitempty"`
	// ProcessCostUSD is the agent process's running total as the CLI
	// reports it (Claude's total_cost_usd), for reference; 0 when the
	// agent reports none.
	ProcessCostUSD float64         `json:"processCostUsd,omitempty"`
	DurationMs     int64           `json:"durationMs,omitempty"`
	APIDurationMs  int64           `json:"apiDurationMs,omitempty"`
	NumTurns       int             `json:"numTurns,omitempty"`
	Models         json.RawMessage `json:"models,omitempty"` // per-model breakdown as the agent reports it
}

// TurnCompletedData is the Data of event.TurnCompleted.
type TurnCompletedData struct {
	OK bool `json:"ok"`
	// Error says why a turn did not succeed; nil when OK.
	Error      *TurnError `json:"error,omitempty"`
	StopReason string     `json:"stopReason,omitempty"`
	SessionID  string     `json:"sessionId,omitempty"`
	// Result is the turn's final text where the agent reports one.
	Result            string          `json:"result,omitempty"`
	PermissionDenials json.RawMessage `json:"permissionDenials,omitempty"`
}

// ErrorData is the Data of event.ErrorKind events adapters emit for
// protocol-level failures (a control request the agent rejected, a
// JSON-RPC error).
type ErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ParseErrorData is the Data of event.ParseError.
type ParseErrorData struct {
	Error string `json:"error"`
	Line  string `json:"line"`
}

// LineData is the Data of event.Stdout and event.Stderr.
type LineData struct {
	Text string `json:"text"`
}

// Codes of TurnError.
const (
	CodeAuth        = "auth_failed"  // the model API refused the credentials (401/403)
	CodeRateLimit   = "rate_limited" // 429
	CodeOverloaded  = "overloaded"   // 529 and the like
	CodeAPI         = "api_error"    // another HTTP error from the model API, or a transport failure
	CodeInterrupted = "interrupted"  // the turn was interrupted on request
	CodeAgent       = "agent_error"  // the agent reported a failure of its own
	CodeMaxTurns    = "max_turns"    // the agent stopped at its turn limit
)

// TurnError is a typed turn failure. It is an error so callers can use
// errors.As on the result of a turn.
type TurnError struct {
	Code       string `json:"code"`
	HTTPStatus int    `json:"httpStatus,omitempty"`
	Message    string `json:"message,omitempty"`
}

func (e *TurnError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("agent turn failed: %s (HTTP %d): %s", e.Code, e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("agent turn failed: %s: %s", e.Code, e.Message)
}

// codeForStatus classifies an HTTP status from a model API.
func codeForStatus(status int) string {
	switch {
	case status == 401 || status == 403:
		return CodeAuth
	case status == 429:
		return CodeRateLimit
	case status == 529:
		return CodeOverloaded
	default:
		return CodeAPI
	}
}

// emitter stamps and emits events for one Conn.
type emitter struct {
	now func() time.Time
}

func newEmitter(cfg ConnConfig) emitter {
	if cfg.Now == nil {
		return emitter{now: time.Now}
	}
	return emitter{now: cfg.Now}
}

// ev builds an event with data marshalled and raw attached.
func (e emitter) ev(kind string, data any, raw []byte) event.Event {
	ev := event.Event{Time: e.now(), Kind: kind}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			panic("agent: cannot marshal " + kind + " data: " + err.Error())
		}
		ev.Data, ev.Payload = b, data
	}
	if raw != nil {
		ev.Raw = append(json.RawMessage(nil), raw...)
	}
	return ev
}

// stdinBroken emits the error of a write to the agent's stdin, if any: a
// request, answer or turn the agent will never see.
func (e emitter) stdinBroken(err error, emit func(event.Event)) {
	if err != nil {
		emit(e.ev(event.ErrorKind, ErrorData{Code: "stdin_broken", Message: err.Error()}, nil))
	}
}

// nonJSON emits a line that is not a JSON object: stderr, stdout text, or
// a parse error when it looks like JSON but is not.
func (e emitter) nonJSON(src Stream, line []byte, perr error, emit func(event.Event)) {
	text := string(line)
	if !utf8.ValidString(text) {
		text = string([]rune(text)) // replaces invalid bytes with U+FFFD
	}
	switch {
	case src == Stderr:
		emit(e.ev(event.Stderr, LineData{Text: text}, nil))
	case perr != nil && stream.Valid(line):
		// Valid JSON of a shape this version does not know (a field
		// of another type): keep it, like an unknown message type.
		emit(e.ev(event.AgentOther, nil, line))
	case perr != nil:
		emit(e.ev(event.ParseError, ParseErrorData{Error: perr.Error(), Line: text}, nil))
	default:
		emit(e.ev(event.Stdout, LineData{Text: text}, nil))
	}
}

// decodeValue decodes raw, a value taken from a validated line, into v.
// An absent or null value leaves v as it is and is no error. A value of
// another shape than v's fills what matches and returns the error.
func decodeValue(raw []byte, v any) error {
	if isNull(raw) {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// unexpectedShape emits, when err is not nil, an error event with code
// "unexpected_shape": a value of a message this adapter knows was not of
// the shape the protocol gives it (what names it). The fields it could
// not give stay empty. Callers emit it after the line's own events (with
// defer), so the first event of the line still carries the line as Raw.
func (e emitter) unexpectedShape(what string, err error, emit func(event.Event)) {
	if err != nil {
		emit(e.ev(event.ErrorKind, ErrorData{Code: "unexpected_shape", Message: what + ": " + err.Error()}, nil))
	}
}

// looksJSON reports whether a line is meant as a JSON object.
func looksJSON(line []byte) bool {
	for _, c := range line {
		switch c {
		case ' ', '\t', '\r':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}
