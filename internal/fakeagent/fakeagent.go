// Package fakeagent is a scripted stand-in for the Claude Code CLI, used by
// end-to-end tests and by `corral-bench api` and `slowbody`. It speaks the same stream-json
// protocol on stdin/stdout as `claude -p --input-format stream-json
// --output-format stream-json --include-partial-messages
// --permission-prompt-tool stdio`, so corral drives it through the real
// Claude adapter.
//
// It is not a separate binary: a test binary (in its TestMain) or
// corral-bench (first thing in main) runs Main when the environment variable
// EnvVar is set, the os/exec helper-process pattern. The shipped corral
// never links it.
//
// What a turn does is chosen by the user's text:
//
//	tool:CMD          ask permission to run Bash CMD; on allow, report a
//	                  tool result "ran: CMD"; on deny, an error result
//	slow:N            stream N text deltas, one every 20 ms; an interrupt
//	                  ends the turn early as aborted
//	chatty:R:S        stream R deltas per second for S seconds, each text
//	                  "t=<unix ns>;" stamped when written (delivery latency)
//	crash             exit with status 3 in the middle of the turn
//	autherr           answer like Claude Code without credentials ("Not logged in")
//	spawn:SCRIPT      run `sh -c SCRIPT` in the background (the processes
//	                  it leaves behind stay), then stream as slow:100000
//	hostile:URL       agent output full of script, event handler, link and
//	                  image payloads in every place the web client shows it,
//	                  aimed at a listener at URL (see hostile.go); asks
//	                  permission for one Bash call and ends as a failed turn
//	anything else     echo the text back as deltas and a whole block
//
// A user message's text is that of its text blocks; each image block adds
// "[image MEDIA_TYPE N bytes]" to it (N decoded from the base64), so an
// echo shows which images reached the agent.
// Every turn ends with a result line carrying usage and cost, like the CLI.
package fakeagent

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnvVar, when set in the environment (to any value), makes a program that
// checks it run Main instead of itself.
const EnvVar = "CORRAL_FAKEAGENT"

// SessionID is the agent session id the fake reports in system/init and
// results (the value corral passes back with --resume).
const SessionID = "fake-session-0001"

// Enabled reports whether this process was started as the fake agent.
func Enabled() bool { return os.Getenv(EnvVar) != "" }

// Main runs the fake agent until stdin closes, and returns the exit code.
func Main(stdin io.Reader, stdout io.Writer) int {
	a := &fake{out: bufio.NewWriterSize(stdout, 64<<10), in: make(chan map[string]any, 64)}
	go a.read(stdin)
	for msg := range a.in {
		switch msg["type"] {
		case "control_request":
			req, _ := msg["request"].(map[string]any)
			a.controlOK(msg["request_id"], req["subtype"])
		case "user":
			if code, exit := a.turn(userText(msg)); exit {
				return code
			}
		}
	}
	return 0
}

type fake struct {
	mu    sync.Mutex
	out   *bufio.Writer
	in    chan map[string]any
	inits bool
	reqN  int
	msgN  int
	// cost is the running total of the process, as Claude Code reports
	// it in every result (total_cost_usd): 0.0012 per turn.
	cost float64
}

func (a *fake) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			a.in <- m
		}
	}
	close(a.in)
}

// emit writes one JSON line and flushes it at once, like the CLI does.
func (a *fake) emit(v any) {
	b, _ := json.Marshal(v)
	a.mu.Lock()
	a.out.Write(b)
	a.out.WriteByte('\n')
	a.out.Flush()
	a.mu.Unlock()
}

func (a *fake) controlOK(id, subtype any) {
	a.emit(map[string]any{"type": "control_response", "response": map[string]any{
		"subtype": "success", "request_id": id, "response": map[string]any{"subtype": subtype}}})
}

func userText(m map[string]any) string {
	msg, _ := m["message"].(map[string]any)
	switch c := msg["content"].(type) {
	case string:
		return c
	case []any:
		var sb strings.Builder
		for _, b := range c {
			if bm, ok := b.(map[string]any); ok {
				if t, ok := bm["text"].(string); ok {
					sb.WriteString(t)
				} else if bm["type"] == "image" {
					sb.WriteString(imageNote(bm))
				}
			}
		}
		return sb.String()
	}
	return ""
}

// imageNote is what an image block adds to the text a turn sees.
func imageNote(b map[string]any) string {
	src, _ := b["source"].(map[string]any)
	mt, _ := src["media_type"].(string)
	data, _ := src["data"].(string)
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return fmt.Sprintf("[image %s undecodable]", mt)
	}
	return fmt.Sprintf("[image %s %d bytes]", mt, len(raw))
}

func (a *fake) delta(text string) {
	a.emit(map[string]any{"type": "stream_event", "session_id": SessionID, "parent_tool_use_id": nil,
		"event": map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": text}}})
}

func (a *fake) assistant(blocks ...map[string]any) {
	a.msgN++
	a.emit(map[string]any{"type": "assistant", "session_id": SessionID, "parent_tool_use_id": nil,
		"uuid":    "fake-uuid-" + strconv.Itoa(a.msgN),
		"message": map[string]any{"id": "msg_fake_" + strconv.Itoa(a.msgN), "role": "assistant", "content": blocks}})
}

// TurnCostUSD is what every turn of the fake agent costs.
const TurnCostUSD = 0.0012

func (a *fake) addCost() float64 {
	a.cost += TurnCostUSD
	return a.cost
}

func (a *fake) result(ok bool, text, terminal string, start time.Time) {
	m := map[string]any{"type": "result", "subtype": "success", "is_error": !ok, "session_id": SessionID,
		"duration_ms": time.Since(start).Milliseconds(), "duration_api_ms": 1, "num_turns": 1,
		"result": text, "stop_reason": "end_turn", "total_cost_usd": a.addCost(),
		"usage": map[string]any{"input_tokens": 12, "output_tokens": 34}}
	if terminal != "" {
		m["terminal_reason"] = terminal
	}
	a.emit(m)
}

// turn runs one user turn. It returns exit=true when the process must end.
func (a *fake) turn(text string) (code int, exit bool) {
	start := time.Now()
	if !a.inits {
		a.inits = true
		a.emit(map[string]any{"type": "system", "subtype": "init", "session_id": SessionID, "model": "fake-model",
			"cwd": wd(), "permissionMode": "default", "claude_code_version": "0.0.0-fake", "tools": []string{"Bash"}})
	}
	switch {
	case strings.HasPrefix(text, "tool:"):
		return a.toolTurn(strings.TrimPrefix(text, "tool:"), start)
	case strings.HasPrefix(text, "write:"):
		// write:PATH=CONTENT writes CONTENT ("\n" for a line break) to
		// PATH under the cwd, as an edit tool would.
		path, content, _ := strings.Cut(strings.TrimPrefix(text, "write:"), "=")
		reply := "wrote " + path
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(content, `\n`, "\n")), 0o644); err != nil {
			reply = "cannot write: " + err.Error()
		}
		a.assistant(map[string]any{"type": "text", "text": reply})
		a.result(true, reply, "", start)
		return 0, false
	case strings.HasPrefix(text, HostilePrefix):
		return a.hostileTurn(strings.TrimPrefix(text, HostilePrefix), start)
	case strings.HasPrefix(text, "spawn:"):
		// A tool that leaves background processes behind, the way a
		// careless (or hostile) command run by a real agent does.
		cmd := exec.Command("/bin/sh", "-c", strings.TrimPrefix(text, "spawn:"))
		if cmd.Start() == nil {
			go cmd.Wait()
		}
		return a.stream(100000, 20*time.Millisecond, func(int) string { return "tick " }, start)
	case strings.HasPrefix(text, "slow:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(text, "slow:"))
		return a.stream(n, 20*time.Millisecond, func(int) string { return "tick " }, start)
	case strings.HasPrefix(text, "chatty:"):
		parts := strings.Split(text, ":")
		rate, secs := 20, 10.0
		if len(parts) > 1 {
			rate, _ = strconv.Atoi(parts[1])
		}
		if len(parts) > 2 {
			secs, _ = strconv.ParseFloat(parts[2], 64)
		}
		if rate <= 0 {
			rate = 1
		}
		n := int(float64(rate) * secs)
		return a.stream(n, time.Second/time.Duration(rate), func(int) string {
			return "t=" + strconv.FormatInt(time.Now().UnixNano(), 10) + ";"
		}, start)
	case text == "autherr":
		// Claude Code without credentials: no model call, no HTTP status.
		a.msgN++
		a.emit(map[string]any{"type": "assistant", "session_id": SessionID, "parent_tool_use_id": nil, "error": "authentication_failed",
			"message": map[string]any{"id": "msg_fake_" + strconv.Itoa(a.msgN), "role": "assistant",
				"content": []map[string]any{{"type": "text", "text": "Not logged in · Please run /login"}}}})
		a.result(false, "Not logged in · Please run /login", "", start)
		return 0, false
	case text == "crash":
		a.delta("about to crash")
		fmt.Fprintln(os.Stderr, "fakeagent: crashing on request")
		return 3, true
	default:
		reply := "echo: " + text
		for _, w := range strings.SplitAfter(reply, " ") {
			a.delta(w)
		}
		a.assistant(map[string]any{"type": "text", "text": reply})
		a.result(true, reply, "", start)
		return 0, false
	}
}

// stream writes n deltas, one per interval, watching stdin for an interrupt.
func (a *fake) stream(n int, every time.Duration, text func(int) string, start time.Time) (int, bool) {
	t := time.NewTicker(every)
	defer t.Stop()
	var sb strings.Builder
	for i := 0; i < n; i++ {
		select {
		case msg, ok := <-a.in:
			if !ok {
				return 0, true
			}
			if msg["type"] == "control_request" {
				req, _ := msg["request"].(map[string]any)
				a.controlOK(msg["request_id"], req["subtype"])
				if req["subtype"] == "interrupt" {
					a.emit(map[string]any{"type": "user", "session_id": SessionID,
						"message": map[string]any{"role": "user", "content": []map[string]any{{"type": "text", "text": "[Request interrupted by user]"}}}})
					a.result(false, "", "aborted_streaming", start)
					return 0, false
				}
			}
		case <-t.C:
			s := text(i)
			sb.WriteString(s)
			a.delta(s)
		}
	}
	a.assistant(map[string]any{"type": "text", "text": sb.String()})
	a.result(true, sb.String(), "", start)
	return 0, false
}

func (a *fake) toolTurn(cmd string, start time.Time) (int, bool) {
	a.reqN++
	toolID := "toolu_fake_" + strconv.Itoa(a.reqN)
	reqID := "fake-perm-" + strconv.Itoa(a.reqN)
	input := map[string]any{"command": cmd}
	a.delta("I will run " + cmd)
	a.assistant(map[string]any{"type": "tool_use", "id": toolID, "name": "Bash", "input": input})
	a.emit(map[string]any{"type": "control_request", "request_id": reqID, "request": map[string]any{
		"subtype": "can_use_tool", "tool_name": "Bash", "input": input, "tool_use_id": toolID,
		"description": "Run " + cmd,
		"permission_suggestions": []map[string]any{{"type": "addRules", "behavior": "allow", "destination": "session",
			"rules": []map[string]any{{"toolName": "Bash", "ruleContent": cmd}}}}}})
	inner, code, exit, ok := a.permission(reqID, start)
	if !ok {
		return code, exit
	}
	allowed := inner["behavior"] == "allow"
	out, isErr := "ran: "+cmd, false
	if !allowed {
		m, _ := inner["message"].(string)
		out, isErr = "denied: "+m, true
	}
	a.emit(map[string]any{"type": "user", "session_id": SessionID, "parent_tool_use_id": nil,
		"message": map[string]any{"role": "user", "content": []map[string]any{{
			"type": "tool_result", "tool_use_id": toolID, "content": out, "is_error": isErr}}},
		"tool_use_result": map[string]any{"stdout": out}})
	final := "done"
	if !allowed {
		final = "not run"
	}
	a.delta(final)
	a.assistant(map[string]any{"type": "text", "text": final})
	a.result(true, final, "", start)
	return 0, false
}

func wd() string {
	d, _ := os.Getwd()
	return d
}
