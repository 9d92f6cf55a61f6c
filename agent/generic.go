package agent

import (
	"encoding/json"
	"io"
	"strings"
	"sync"

	"github.com/corral-dev/corral/event"
)

// Generic is the adapter for programs with no agent protocol of their own
// (config protocol "jsonl" or "text").
//
// Text mode: every stdout line is assistant text (a delta ending in a
// newline); every stderr line is stderr. JSONL mode: a JSON object with a
// string "kind" naming a corral event kind and an object "data" is passed
// through as that event (so a program can speak corral's events
// natively); any other JSON line is agent.other with Raw; other lines are
// stdout.
//
// Turns: in persistent mode (PerTurnMode false) a turn is one line on
// stdin: the text itself in text mode, {"type":"user","text":...} in JSONL
// mode. In per-turn mode the program is started for each turn, gets the
// text on stdin, which is then closed, and the turn ends when it exits.
// There is no in-band interrupt or permission protocol.
type Generic struct {
	AdapterName string // Name's result; empty means the protocol name
	JSONL       bool   // JSONL mode instead of text mode
	PerTurnMode bool   // one process per turn
}

// Name returns AdapterName, else "jsonl" or "text".
func (g Generic) Name() string {
	switch {
	case g.AdapterName != "":
		return g.AdapterName
	case g.JSONL:
		return "jsonl"
	default:
		return "text"
	}
}

// PerTurn reports PerTurnMode.
func (g Generic) PerTurn() bool { return g.PerTurnMode }

// Launch runs opts.Program with opts.Args.
func (g Generic) Launch(opts SessionOptions, turn *Turn) (LaunchSpec, error) {
	if opts.Program == "" {
		return LaunchSpec{}, ErrNoProgram
	}
	if g.PerTurnMode && turn == nil {
		return LaunchSpec{}, ErrPerTurn
	}
	return LaunchSpec{Program: opts.Program, Args: append([]string(nil), opts.Args...), Env: append([]string(nil), opts.Env...), Dir: opts.Cwd, Stdin: true}, nil
}

// NewConn returns the state of one process.
func (g Generic) NewConn(opts SessionOptions, stdin io.Writer, cfg ConnConfig) Conn {
	c := &genericConn{g: g, w: stdin, em: newEmitter(cfg)}
	if cfg.Turn != nil {
		c.turn = TextWithPaths(cfg.Turn.Text, cfg.Turn.Attachments)
	}
	return c
}

type genericConn struct {
	g    Generic
	em   emitter
	turn string

	mu sync.Mutex
	w  io.Writer
}

// Start delivers a per-turn process's turn and closes stdin.
func (c *genericConn) Start() error {
	if !c.g.PerTurnMode {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil {
		return io.ErrClosedPipe
	}
	if _, err := io.WriteString(c.w, c.turn); err != nil {
		return err
	}
	if cl, ok := c.w.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

func (c *genericConn) SendUserTurn(text string) error {
	if c.g.PerTurnMode {
		return ErrPerTurn
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil {
		return io.ErrClosedPipe
	}
	var line []byte
	if c.g.JSONL {
		b, err := json.Marshal(map[string]string{"type": "user", "text": text})
		if err != nil {
			return err
		}
		line = b
	} else {
		line = []byte(strings.ReplaceAll(text, "\n", " "))
	}
	_, err := c.w.Write(append(line, '\n'))
	return err
}

func (c *genericConn) Interrupt() error                         { return ErrSignalRequired }
func (c *genericConn) RespondPermission(PermissionAnswer) error { return ErrUnsupported }
func (c *genericConn) SessionID() string                        { return "" }

// knownKinds are the event kinds a JSONL program may emit directly.
var knownKinds = map[string]bool{
	event.AssistantText: true, event.AssistantThinking: true, event.ToolCall: true, event.ToolResult: true,
	event.Usage: true, event.AgentStatus: true, event.ErrorKind: true, event.TurnCompleted: true,
}

func (c *genericConn) Decode(stream Stream, line []byte, emit func(event.Event)) {
	if stream == Stderr {
		c.em.nonJSON(stream, line, nil, emit)
		return
	}
	if !c.g.JSONL {
		text := string(line)
		if !jsonSafe(text) {
			text = string([]rune(text))
		}
		emit(c.em.ev(event.AssistantText, TextData{Text: text + "\n", Delta: true}, nil))
		return
	}
	if !looksJSON(line) {
		c.em.nonJSON(stream, line, nil, emit)
		return
	}
	var m struct {
		Kind string          `json:"kind"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		c.em.nonJSON(stream, line, err, emit)
		return
	}
	if knownKinds[m.Kind] && len(m.Data) > 0 && m.Data[0] == '{' {
		ev := c.em.ev(m.Kind, nil, line)
		ev.Data = append(json.RawMessage(nil), m.Data...)
		emit(ev)
		return
	}
	emit(c.em.ev(event.AgentOther, nil, line))
}

func jsonSafe(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' {
			return false
		}
	}
	return true
}
