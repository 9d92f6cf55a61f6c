package agent

import (
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/corral-dev/corral/event"
)

// Gemini is the adapter for Google's Gemini CLI in headless mode, verified
// with version 0.61.0. Every turn is its own process:
//
//	gemini -p "" --output-format stream-json --skip-trust
//	       [--model M] [--approval-mode MODE] [--resume SESSION_ID]
//
// with the prompt written to stdin (the CLI appends -p's value to stdin,
// so the prompt never appears in argv) and stdin then closed. The turn
// ends with a result line and the process exits. Headless mode cannot ask
// for approvals: a tool the approval mode does not allow unasked is not
// registered, and the model's call fails with "Tool ... not found"
// (default allows neither the shell nor file edits, auto_edit file edits,
// yolo everything). An interrupt is a signal to the process.
//
// The CLI retries a failed model call itself (HTTP 5xx and 429, 5 s
// doubling to 30 s apart, general.maxAttempts attempts, 10 by default)
// and says so only on stderr; Decode turns those lines into agent.retry.
//
// Authentication with an API key needs security.auth.selectedType =
// "gemini-api-key" in the CLI's settings.json: with only
// GOOGLE_GEMINI_BASE_URL set, the CLI picks an auth type it then rejects
// (exit 41). Set SettingsFile (written with WriteGeminiSettings) to supply
// that without touching the user's own settings. For interactive
// approvals use the ACP adapter with `gemini --acp`.
type Gemini struct {
	// SettingsFile, when set, is given to the CLI as its system settings
	// (GEMINI_CLI_SYSTEM_SETTINGS_PATH), which take precedence over the
	// user's and the project's settings.
	SettingsFile string
}

// WriteGeminiSettings writes a Gemini CLI settings file that selects
// API-key authentication (the key comes from GEMINI_API_KEY in the
// child's environment) and turns off auto-update and usage statistics.
func WriteGeminiSettings(path string) error {
	const settings = `{"security":{"auth":{"selectedType":"gemini-api-key"}},"general":{"disableAutoUpdate":true},"privacy":{"usageStatisticsEnabled":false}}` + "\n"
	return os.WriteFile(path, []byte(settings), 0o600)
}

// Name returns "gemini".
func (Gemini) Name() string { return "gemini" }

// PerTurn is true: one process per turn, resumed by session id.
func (Gemini) PerTurn() bool { return true }

// Launch builds the command line of one turn. The turn text goes to stdin
// in Conn.Start. A model or mode that is not a plain value is refused
// (*InvalidOptionError).
func (g Gemini) Launch(opts SessionOptions, turn *Turn) (LaunchSpec, error) {
	if turn == nil {
		return LaunchSpec{}, ErrPerTurn
	}
	if err := checkOptions("gemini", opts); err != nil {
		return LaunchSpec{}, err
	}
	prog := opts.Program
	if prog == "" {
		prog = "gemini"
	}
	args := append([]string(nil), opts.Args...)
	args = append(args, "-p", "", "--output-format", "stream-json", "--skip-trust")
	if opts.Model != "" {
		args = append(args, "--model", opts.Model)
	}
	if opts.PermissionMode != "" {
		args = append(args, "--approval-mode", opts.PermissionMode)
	}
	if opts.ResumeID != "" {
		args = append(args, "--resume", opts.ResumeID)
	}
	for _, dir := range GeminiIncludeDirs(turn.Attachments) {
		args = append(args, "--include-directories", dir)
	}
	env := append([]string(nil), opts.Env...)
	if g.SettingsFile != "" {
		env = append(env, "GEMINI_CLI_SYSTEM_SETTINGS_PATH="+g.SettingsFile)
	}
	return LaunchSpec{Program: prog, Args: args, Env: env, Dir: opts.Cwd, Stdin: true}, nil
}

// NewConn returns the state of one turn's process; cfg.Turn is the turn.
func (Gemini) NewConn(opts SessionOptions, stdin io.Writer, cfg ConnConfig) Conn {
	c := &geminiConn{w: stdin, em: newEmitter(cfg), sessionID: opts.ResumeID}
	if cfg.Turn != nil {
		c.prompt = GeminiPrompt(UserTurn{Text: cfg.Turn.Text, Attachments: cfg.Turn.Attachments})
	}
	return c
}

type geminiConn struct {
	em     emitter
	w      io.Writer
	prompt string

	mu        sync.Mutex
	sessionID string
	// failed is the stderr line "Attempt N failed: <message>" (and N)
	// while its "Retrying after" is still to come on a later line (the
	// message spans lines).
	failed        string
	failedAttempt int
}

// Start writes the prompt to stdin and closes it.
func (c *geminiConn) Start() error {
	if c.w == nil {
		return io.ErrClosedPipe
	}
	if _, err := io.WriteString(c.w, c.prompt); err != nil {
		return err
	}
	if cl, ok := c.w.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

func (c *geminiConn) SendUserTurn(string) error                { return ErrPerTurn }
func (c *geminiConn) Interrupt() error                         { return ErrSignalRequired }
func (c *geminiConn) RespondPermission(PermissionAnswer) error { return ErrUnsupported }

func (c *geminiConn) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

type geminiLine struct {
	Type       string          `json:"type"`
	SessionID  string          `json:"session_id"`
	Model      string          `json:"model"`
	Role       string          `json:"role"`
	Content    string          `json:"content"`
	Delta      bool            `json:"delta"`
	ToolName   string          `json:"tool_name"`
	ToolID     string          `json:"tool_id"`
	Parameters json.RawMessage `json:"parameters"`
	Status     string          `json:"status"`
	Output     json.RawMessage `json:"output"`
	Error      *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	Severity string       `json:"severity"`
	Message  string       `json:"message"`
	Stats    *geminiStats `json:"stats"`
}

type geminiStats struct {
	InputTokens  int64           `json:"input_tokens"`
	OutputTokens int64           `json:"output_tokens"`
	Cached       int64           `json:"cached"`
	DurationMs   int64           `json:"duration_ms"`
	ToolCalls    int             `json:"tool_calls"`
	Models       json.RawMessage `json:"models"`
}

// Decode maps one line of Gemini CLI's stream-json output.
func (c *geminiConn) Decode(stream Stream, line []byte, emit func(event.Event)) {
	if stream != Stdout || !looksJSON(line) {
		c.em.nonJSON(stream, line, nil, emit)
		if stream == Stderr {
			c.decodeRetry(line, emit)
		}
		return
	}
	var l geminiLine
	if err := json.Unmarshal(line, &l); err != nil {
		c.em.nonJSON(stream, line, err, emit)
		return
	}
	em := c.em
	switch l.Type {
	case "init":
		c.mu.Lock()
		if l.SessionID != "" {
			c.sessionID = l.SessionID
		}
		c.mu.Unlock()
		emit(em.ev(event.AgentInit, InitData{SessionID: l.SessionID, Model: l.Model}, line))
	case "message":
		if l.Role == "assistant" {
			emit(em.ev(event.AssistantText, TextData{Text: l.Content, Delta: l.Delta}, line))
		} else {
			emit(em.ev(event.AgentOther, nil, line))
		}
	case "tool_use":
		emit(em.ev(event.ToolCall, ToolCallData{ID: l.ToolID, Name: l.ToolName, Input: l.Parameters}, line))
	case "tool_result":
		d := ToolResultData{ID: l.ToolID, Status: l.Status, IsError: l.Status != "success"}
		if s := jsonString(l.Output); s != "" || len(l.Output) == 0 {
			d.Output = s
		} else {
			d.Output = string(l.Output)
		}
		if d.Output == "" && l.Error != nil {
			d.Output = l.Error.Message
		}
		emit(em.ev(event.ToolResult, d, line))
	case "error":
		emit(em.ev(event.ErrorKind, ErrorData{Code: "agent_" + l.Severity, Message: l.Message}, line))
	case "result":
		u := UsageData{}
		if l.Stats != nil {
			u = UsageData{InputTokens: l.Stats.InputTokens, OutputTokens: l.Stats.OutputTokens,
				CacheReadTokens: l.Stats.Cached, DurationMs: l.Stats.DurationMs, Models: l.Stats.Models}
		}
		emit(em.ev(event.Usage, u, line))
		d := TurnCompletedData{OK: l.Status == "success", SessionID: c.SessionID(), StopReason: l.Status}
		if !d.OK {
			d.Error = geminiTurnError(&l)
		}
		emit(em.ev(event.TurnCompleted, d, nil))
	default:
		emit(em.ev(event.AgentOther, nil, line))
	}
}

// The CLI reports on stderr each failed model call it retries (retries
// it makes with a backoff of 5 s doubling to 30 s, up to general.maxAttempts
// attempts, 10 by default):
//
//	Attempt 1 failed with status 500. Retrying with backoff... _ApiError: {...}
//	Attempt 1 failed with 429 error (no Retry-After header). Retrying with backoff...
//	Attempt 1 failed with 5xx error. Retrying with backoff...
//	Attempt 1 failed: <message>. Retrying after 31500ms...
//
// where <message> may span lines, the last holding ". Retrying after".
var (
	geminiAttempt = regexp.MustCompile(`^Attempt (\d+) failed(?: with status (\d{3})\.| with (429) error \(no Retry-After header\)\.| with 5xx error\.|\.)? Retrying with backoff`)
	geminiFailed  = regexp.MustCompile(`^Attempt (\d+) failed: `)
	geminiAfter   = regexp.MustCompile(`\. Retrying after (\d+)ms\.\.\.$`)
)

// decodeRetry emits agent.retry for a stderr line that reports a retried
// model call.
func (c *geminiConn) decodeRetry(line []byte, emit func(event.Event)) {
	text := strings.TrimRight(string(line), "\r")
	if m := geminiAttempt.FindStringSubmatch(text); m != nil {
		c.failed = ""
		d := RetryData{Error: text}
		d.Attempt, _ = strconv.Atoi(m[1])
		if s := m[2] + m[3]; s != "" {
			d.HTTPStatus, _ = strconv.Atoi(s)
		}
		emit(c.em.ev(event.AgentRetry, d, nil))
		return
	}
	if m := geminiFailed.FindStringSubmatch(text); m != nil {
		c.failed = text
		c.failedAttempt, _ = strconv.Atoi(m[1])
	}
	if c.failed == "" {
		return
	}
	if m := geminiAfter.FindStringSubmatch(text); m != nil {
		d := RetryData{Attempt: c.failedAttempt, Error: strings.TrimSuffix(c.failed, m[0])}
		d.DelayMs, _ = strconv.ParseInt(m[1], 10, 64)
		c.failed = ""
		emit(c.em.ev(event.AgentRetry, d, nil))
	} else if strings.HasSuffix(text, "Max attempts reached") {
		c.failed = ""
	}
}

// geminiStatus finds the HTTP status in messages such as
// `[API Error: {"error":{"code":401,...}}]` or "status 429".
var geminiStatus = regexp.MustCompile(`"code"\s*:\s*([45][0-9][0-9])|[Ss]tatus:? ([45][0-9][0-9])`)

// geminiRateLimit is the advice the CLI appends to an API error exactly
// when its HTTP status is 429 (errorParsing.js getRateLimitMessage: the
// API-key, Vertex and default wordings), the only sign of the status when
// the CLI replaced the API's message with its own, as it does for a used
// up daily quota ("You have exhausted your daily quota on this model.").
var geminiRateLimit = []string{
	"Please wait and try again later. To increase your limits, request a quota increase",
	"Possible quota limitations in place or slow response times detected.",
}

// geminiRPCStatus maps the google.rpc status names the CLI prints as
// "(Status: NAME)" to their HTTP status.
var geminiRPCStatus = map[string]int{
	"INVALID_ARGUMENT": 400, "FAILED_PRECONDITION": 400, "UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403,
	"NOT_FOUND": 404, "RESOURCE_EXHAUSTED": 429, "INTERNAL": 500, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
}

var geminiRPCName = regexp.MustCompile(`\(Status: ([A-Z_]+)\)`)

func geminiTurnError(l *geminiLine) *TurnError {
	te := &TurnError{Code: CodeAgent, Message: l.Status}
	if l.Error == nil {
		return te
	}
	msg := l.Error.Message
	te.Message = msg
	st := 0
	if m := geminiStatus.FindStringSubmatch(msg); m != nil {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		st, _ = strconv.Atoi(s)
	} else if m := geminiRPCName.FindStringSubmatch(msg); m != nil {
		st = geminiRPCStatus[m[1]]
	}
	if st == 0 {
		for _, s := range geminiRateLimit {
			if strings.Contains(msg, s) {
				st = 429
			}
		}
	}
	if st != 0 {
		te.Code, te.HTTPStatus = codeForStatus(st), st
	}
	return te
}
