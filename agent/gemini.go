package agent

import (
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strconv"
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
// for approvals: tools that need one are refused unless the approval mode
// allows them (auto_edit, yolo). An interrupt is a signal to the process.
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
// in Conn.Start.
func (g Gemini) Launch(opts SessionOptions, turn *Turn) (LaunchSpec, error) {
	if turn == nil {
		return LaunchSpec{}, ErrPerTurn
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
		c.prompt = cfg.Turn.Text
	}
	return c
}

type geminiConn struct {
	em     emitter
	w      io.Writer
	prompt string

	mu        sync.Mutex
	sessionID string
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

// geminiStatus finds the HTTP status in messages such as
// `[API Error: {"error":{"code":401,...}}]` or "status 429".
var geminiStatus = regexp.MustCompile(`"code"\s*:\s*([45][0-9][0-9])|[Ss]tatus:? ([45][0-9][0-9])`)

func geminiTurnError(l *geminiLine) *TurnError {
	te := &TurnError{Code: CodeAgent, Message: l.Status}
	if l.Error == nil {
		return te
	}
	te.Message = l.Error.Message
	if m := geminiStatus.FindStringSubmatch(l.Error.Message); m != nil {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		st, _ := strconv.Atoi(s)
		te.Code, te.HTTPStatus = codeForStatus(st), st
	}
	return te
}
