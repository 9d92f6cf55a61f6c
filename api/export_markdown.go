package api

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// maxPendingText bounds the assistant text a Markdown export holds while
// deltas arrive: past it the text so far is written out.
const maxPendingText = 1 << 20

// maxInputSummary bounds the input of a tool call or a permission request
// in a Markdown export.
const maxInputSummary = 4000

// mdWriter renders a session's events as a readable Markdown transcript,
// one event at a time: what it holds between events is at most one
// assistant message's deltas (maxPendingText), so a session of any length
// streams through it.
type mdWriter struct {
	w   io.Writer
	err error

	// Assistant text arriving as deltas is held until the whole message
	// (which repeats them) or another rendered event comes.
	pending    strings.Builder
	pendingMsg string
	pendingSeq int64  // seq of the first held delta; 0: nothing held
	written    string // message id whose deltas were written out
	assistant  bool   // the last block written was assistant text
	// fence is the code fence the assistant text written so far left
	// open: deltas written out at maxPendingText may end inside a block
	// the next ones close.
	fence mdFence
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// header writes the title block of the transcript.
func (m *mdWriter) header(in session.Info) {
	title := in.Title
	if title == "" {
		title = "Session " + in.ID
	}
	m.printf("# %s\n\n", mdLine(title))
	m.printf("- Session: %s\n- Agent: %s\n", mdCode(in.ID), mdLine(in.Agent))
	if in.Model != "" {
		m.printf("- Model: %s\n", mdLine(in.Model))
	}
	m.printf("- Working directory: %s\n- Created: %s\n", mdCode(in.Cwd), in.CreatedAt.UTC().Format(time.RFC3339))
	if in.CostUSD > 0 || in.InputTokens > 0 || in.OutputTokens > 0 {
		m.printf("- Total: %d input · %d output tokens · $%.4f\n", in.InputTokens, in.OutputTokens, in.CostUSD)
	}
	m.printf("\n")
}

// event renders one event; kinds a reader of the transcript does not need
// (process samples, raw output lines, agent bookkeeping) are left out.
func (m *mdWriter) event(ev event.Event) {
	switch ev.Kind {
	case event.AssistantText:
		var d agent.TextData
		if m.decode(ev, &d) {
			m.text(ev.Seq, d)
		}
		return
	case event.RunStarted, event.RunExited, event.ToolCall, event.ToolResult, event.PermissionRequest,
		event.PermissionResolved, event.ErrorKind, event.Usage, event.TurnCompleted, event.SessionUpdated:
		m.flush()
		m.assistant = false
	default:
		return
	}
	switch ev.Kind {
	case event.RunStarted:
		m.runStarted(ev)
	case event.RunExited:
		m.runExited(ev)
	case event.ToolCall:
		m.toolCall(ev)
	case event.ToolResult:
		m.toolResult(ev)
	case event.PermissionRequest:
		m.permissionRequest(ev)
	case event.PermissionResolved:
		m.permissionResolved(ev)
	case event.ErrorKind:
		m.errorEvent(ev)
	case event.Usage:
		m.usage(ev)
	case event.TurnCompleted:
		m.turnCompleted(ev)
	case event.SessionUpdated:
		var d store.SessionUpdatedData
		if !m.decode(ev, &d) {
			return
		}
		if d.Title != "" {
			m.printf("_Renamed to “%s”._\n\n", mdLine(d.Title))
		}
	}
}

// decode decodes ev's data into v. Data that does not decode (a damaged
// or foreign log) is not rendered as an empty message: decode writes an
// "unreadable event" line naming the event and the error instead, and
// returns false. An event without data decodes to the zero value.
func (m *mdWriter) decode(ev event.Event, v any) bool {
	if len(ev.Data) == 0 {
		return true
	}
	err := json.Unmarshal(ev.Data, v)
	if err == nil {
		return true
	}
	m.flush()
	m.assistant = false
	m.printf("_Unreadable event %d (%s): %s._\n\n", ev.Seq, mdLine(ev.Kind), mdLine(err.Error()))
	return false
}

// text handles assistant text: deltas are held, a whole message replaces
// the deltas it repeats.
func (m *mdWriter) text(seq int64, d agent.TextData) {
	if d.Delta {
		if m.pendingSeq != 0 && d.MessageID != "" && m.pendingMsg != "" && d.MessageID != m.pendingMsg {
			m.flush()
		}
		if m.pendingSeq == 0 {
			if d.MessageID != m.written {
				m.closeFence() // a new message: the one written out is over
			}
			m.pendingSeq, m.pendingMsg = seq, d.MessageID
		}
		m.pending.WriteString(d.Text)
		if m.pending.Len() > maxPendingText {
			m.flushPart()
		}
		return
	}
	switch {
	case m.pendingSeq != 0 && m.pendingMsg != "" && m.pendingMsg == m.written && d.MessageID == m.pendingMsg:
		m.flush() // the head was written out: write the held tail, not the whole again
	case m.pendingSeq != 0 && (d.MessageID == "" || m.pendingMsg == "" || d.MessageID == m.pendingMsg):
		m.drop() // the whole message repeats the deltas
	default:
		m.flush()
	}
	if d.MessageID == "" || d.MessageID != m.written {
		m.assistantText(d.Text)
	}
	m.closeFence()
	if d.Error != "" {
		m.printf("**Error:** %s\n\n", mdLine(d.Error))
	}
}

func (m *mdWriter) assistantText(s string) {
	if strings.TrimSpace(s) == "" {
		return
	}
	if !m.assistant {
		m.printf("### Assistant\n\n")
		m.assistant = true
	}
	s = strings.TrimRight(s, "\n")
	m.fence = m.fence.after(s)
	m.printf("%s\n\n", s)
}

// closeFence ends the assistant message written last: a code fence its
// text left open (the message was cut off inside a code block) is closed,
// so what follows is not rendered as code.
func (m *mdWriter) closeFence() {
	if m.fence.n > 0 {
		m.printf("%s\n\n", m.fence.closer())
		m.fence = mdFence{}
	}
}

// flush writes the held deltas out and ends the message.
func (m *mdWriter) flush() {
	m.flushPart()
	m.closeFence()
}

// flushPart writes the held deltas out; more of the same message may
// follow.
func (m *mdWriter) flushPart() {
	if m.pendingSeq == 0 {
		return
	}
	m.assistantText(m.pending.String())
	m.written = m.pendingMsg
	m.drop()
}

// drop forgets the held deltas.
func (m *mdWriter) drop() {
	m.pending.Reset()
	m.pendingSeq, m.pendingMsg = 0, ""
}

func (m *mdWriter) runStarted(ev event.Event) {
	var d struct {
		Prompt string `json:"prompt"`
	}
	if !m.decode(ev, &d) {
		return
	}
	m.printf("## User · %s\n\n", ev.Time.UTC().Format(time.RFC3339))
	for _, line := range strings.Split(strings.TrimRight(d.Prompt, "\n"), "\n") {
		m.printf("> %s\n", line)
	}
	m.printf("\n")
}

func (m *mdWriter) runExited(ev event.Event) {
	if ev.ProcessID != "" || strings.HasPrefix(ev.RunID, "p-") {
		return // the agent process, not a turn
	}
	var d store.RunEnd
	if !m.decode(ev, &d) {
		return
	}
	if d.Reason != "" && d.Reason != "exit" {
		m.printf("_Turn ended: %s._\n\n", mdLine(d.Reason))
	}
}

func (m *mdWriter) toolCall(ev event.Event) {
	var d agent.ToolCallData
	if !m.decode(ev, &d) {
		return
	}
	m.printf("**Tool call:** %s", mdCode(d.Name))
	if d.ID != "" {
		m.printf(" (%s)", mdLine(d.ID))
	}
	m.printf("\n\n")
	if s := inputSummary(d.Input); s != "" {
		m.fenced("json", s)
	}
}

func (m *mdWriter) toolResult(ev event.Event) {
	var d agent.ToolResultData
	if !m.decode(ev, &d) {
		return
	}
	label := "Tool result"
	if d.IsError {
		label = "Tool error"
	}
	m.printf("**%s**", label)
	if d.ID != "" {
		m.printf(" (%s)", mdLine(d.ID))
	}
	if d.ExitCode != nil {
		m.printf(", exit code %d", *d.ExitCode)
	}
	m.printf("\n\n")
	m.fenced("text", d.Output)
}

func (m *mdWriter) permissionRequest(ev event.Event) {
	var d agent.PermissionRequestData
	if !m.decode(ev, &d) {
		return
	}
	m.printf("**Permission requested:** %s", mdCode(d.Tool))
	if d.Description != "" {
		m.printf(" — %s", mdLine(d.Description))
	}
	m.printf("\n\n")
	if s := inputSummary(d.Input); s != "" {
		m.fenced("json", s)
	}
}

func (m *mdWriter) permissionResolved(ev event.Event) {
	var d struct {
		store.ResolvedData
		Outcome string `json:"outcome"`
	}
	if !m.decode(ev, &d) {
		return
	}
	switch {
	case d.Decision != "":
		m.printf("**Permission %s**", mdLine(d.Decision))
		if d.By != "" {
			m.printf(" by %s", mdLine(d.By))
		}
		if d.Message != "" {
			m.printf(": %s", mdLine(d.Message))
		}
		m.printf("\n\n")
	case d.Outcome != "":
		m.printf("**Permission request %s** by the agent\n\n", mdLine(d.Outcome))
	}
}

func (m *mdWriter) errorEvent(ev event.Event) {
	var d struct {
		Type    string `json:"type"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if !m.decode(ev, &d) {
		return
	}
	code := d.Type
	if code == "" {
		code = d.Code
	}
	m.printf("**Error**")
	if code != "" {
		m.printf(" %s", mdCode(code))
	}
	m.printf(": %s\n\n", mdLine(d.Message))
}

func (m *mdWriter) usage(ev event.Event) {
	var d agent.UsageData
	if !m.decode(ev, &d) {
		return
	}
	parts := []string{fmt.Sprintf("%d input", d.InputTokens), fmt.Sprintf("%d output tokens", d.OutputTokens)}
	if d.CacheReadTokens > 0 || d.CacheWriteTokens > 0 {
		parts = append(parts, fmt.Sprintf("cache %d read, %d written", d.CacheReadTokens, d.CacheWriteTokens))
	}
	if d.CostUSD > 0 {
		parts = append(parts, fmt.Sprintf("$%.4f", d.CostUSD))
	}
	if d.DurationMs > 0 {
		parts = append(parts, fmt.Sprintf("%.1f s", float64(d.DurationMs)/1000))
	}
	m.printf("_Usage: %s._\n\n", strings.Join(parts, " · "))
}

func (m *mdWriter) turnCompleted(ev event.Event) {
	var d agent.TurnCompletedData
	if !m.decode(ev, &d) {
		return
	}
	if d.OK || d.Error == nil {
		return
	}
	m.printf("**Turn failed:** %s", mdCode(d.Error.Code))
	if d.Error.Message != "" {
		m.printf(": %s", mdLine(d.Error.Message))
	}
	m.printf("\n\n")
}

// fenced writes s in a fenced code block whose fence is longer than any
// run of backticks in s, so no output can close the block early.
func (m *mdWriter) fenced(lang, s string) {
	f := Fence(s)
	m.printf("%s%s\n%s\n%s\n\n", f, lang, strings.TrimRight(s, "\n"), f)
}

// Fence returns the code fence for s: backticks, one more than the longest
// run of backticks in s and at least three.
func Fence(s string) string {
	return strings.Repeat("`", max(3, longestBackticks(s)+1))
}

// longestBackticks is the length of the longest run of backticks in s.
func longestBackticks(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// inputSummary is a tool's input as indented JSON (encoding/json sorts
// an object's keys), cut at maxInputSummary bytes.
func inputSummary(in json.RawMessage) string {
	if len(in) == 0 || string(in) == "null" {
		return ""
	}
	var v any
	s := string(in)
	if json.Unmarshal(in, &v) == nil {
		if obj, ok := v.(map[string]any); ok && len(obj) == 0 {
			return ""
		}
		if b, err := json.MarshalIndent(v, "", "  "); err == nil {
			s = string(b)
		}
	}
	if len(s) > maxInputSummary {
		s = strings.ToValidUTF8(s[:maxInputSummary], "") + "\n… (cut)"
	}
	return s
}

// mdLine folds line breaks so a value cannot start a Markdown block.
func mdLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// mdCode writes s as inline code on one line, delimited by more backticks
// than any run in s (and padded when s starts or ends with one).
func mdCode(s string) string {
	s = mdLine(s)
	f := strings.Repeat("`", longestBackticks(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return f + s + f
}

// mdFence is an open fenced code block of CommonMark: the fence's
// character (backtick or tilde), its length and its indentation.
// n == 0: no block is open.
type mdFence struct {
	char   byte
	n      int
	indent int
}

// after returns the fence left open once text follows f: it reads each
// line of text as CommonMark reads a top-level fence. An opener is a run
// of three or more backticks or tildes indented at most three spaces (a
// backtick opener's info string holds no backtick); a closer is a run of
// the open fence's character at least as long, indented at most three
// spaces, followed by spaces or tabs only. Fences inside block quotes or
// indented deeper are not tracked: their containers end them.
func (f mdFence) after(text string) mdFence {
	for _, line := range strings.Split(text, "\n") {
		rest := strings.TrimLeft(line, " ")
		indent := len(line) - len(rest)
		if indent > 3 || rest == "" || (rest[0] != '`' && rest[0] != '~') {
			continue
		}
		run := 1
		for run < len(rest) && rest[run] == rest[0] {
			run++
		}
		switch {
		case f.n > 0:
			if rest[0] == f.char && run >= f.n && strings.TrimRight(rest[run:], " \t\r") == "" {
				f = mdFence{}
			}
		case run >= 3 && (rest[0] == '~' || !strings.Contains(rest[run:], "`")):
			f = mdFence{char: rest[0], n: run, indent: indent}
		}
	}
	return f
}

// closer is the line that closes f: the same character, as many, at the
// opener's indentation (so a fence inside a list item closes there).
func (f mdFence) closer() string {
	return strings.Repeat(" ", f.indent) + strings.Repeat(string(f.char), f.n)
}
