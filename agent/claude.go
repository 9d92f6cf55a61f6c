package agent

import (
	"encoding/json"
	"io"
	"strconv"
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
		if opts.Fork {
			args = append(args, "--fork-session")
			if opts.ForkAt != "" {
				args = append(args, "--resume-session-at", opts.ForkAt)
			}
		}
	}
	return LaunchSpec{Program: prog, Args: args, Env: append([]string(nil), opts.Env...), Dir: opts.Cwd, Stdin: true}, nil
}

// Forks: claude --resume ID --fork-session [--resume-session-at MESSAGE]
// continues a conversation as a new one.
func (Claude) Forks() bool { return true }

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
	// progress is the running usage of the turn (usage_progress.go).
	// Touched by Decode only.
	progress claudeProgress
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
	return c.SendUserTurnWith(UserTurn{Text: text})
}

// SendUserTurnWith sends a user message whose content holds the images as
// image blocks (ClaudeContent).
func (c *claudeConn) SendUserTurnWith(t UserTurn) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeLine(map[string]any{
		"type":               "user",
		"message":            map[string]any{"role": "user", "content": ClaudeContent(t)},
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

func (c *claudeConn) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
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
	case "rate_limit_event":
		d, ok := claudeRateLimit(stream.Member(line, "rate_limit_info"))
		emit(em.rateLimitsEvent(d, ok, line))
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

func (c *claudeConn) setSession(id string) {
	if id == "" {
		return
	}
	c.mu.Lock()
	c.sessionID = id
	c.mu.Unlock()
}
