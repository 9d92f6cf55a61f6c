package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
)

// logSessions serves one session and its log, paged like the store.
type logSessions struct {
	fakeSessions
	info  session.Info
	log   []event.Event
	reads int
}

func (l *logSessions) Get(_ context.Context, id string) (session.Info, error) {
	if id != l.info.ID {
		return session.Info{}, fmt.Errorf("session %q: %w", id, session.ErrNotFound)
	}
	return l.info, nil
}

func (l *logSessions) Events(_ context.Context, id string, since int64, limit int) ([]event.Event, bool, error) {
	if id != l.info.ID {
		return nil, false, fmt.Errorf("session %q: %w", id, session.ErrNotFound)
	}
	l.reads++
	var out []event.Event
	for _, ev := range l.log {
		if ev.Seq > since {
			out = append(out, ev)
		}
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

func (l *logSessions) add(kind string, data any) {
	ev := event.New(kind, data)
	ev.Seq, ev.SessionID, ev.Time = int64(len(l.log)+1), l.info.ID, time.Date(2026, 12, 6, 0, 0, len(l.log), 0, time.UTC)
	l.log = append(l.log, ev)
}

func exportTestLog() *logSessions {
	l := &logSessions{info: session.Info{ID: "s-1", Agent: "claude", Cwd: "/work/x", Title: "Fix the build",
		CreatedAt: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}}
	l.add(event.RunStarted, map[string]any{"prompt": "run the tests\nplease"})
	l.add(event.AssistantText, map[string]any{"text": "Run", "delta": true, "messageId": "m1"})
	l.add(event.AssistantText, map[string]any{"text": "ning them.", "delta": true, "messageId": "m1"})
	l.add(event.AssistantText, map[string]any{"text": "Running them.", "messageId": "m1"})
	l.add(event.ToolCall, map[string]any{"id": "t1", "name": "Bash", "input": map[string]any{"command": "go test ./..."}})
	l.add(event.PermissionRequest, map[string]any{"requestId": "q1", "tool": "Bash", "description": "run go test"})
	l.add(event.PermissionResolved, map[string]any{"requestId": "q1", "decision": "allow", "by": "user"})
	l.add(event.ToolResult, map[string]any{"id": "t1", "output": "ok\n```\n# not a heading\n````\nFAIL", "isError": true, "exitCode": 1})
	l.add(event.ErrorKind, map[string]any{"type": "idle_timeout", "message": "no output"})
	l.add(event.Usage, map[string]any{"inputTokens": 120, "outputTokens": 45, "costUsd": 0.0123})
	l.add(event.RunExited, map[string]any{"reason": "timeout"})
	return l
}

func TestExportMarkdown(t *testing.T) {
	l := exportTestLog()
	var b bytes.Buffer
	if err := WriteExport(context.Background(), l, "s-1", FormatMarkdown, &b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"# Fix the build\n", "- Agent: claude\n", "- Working directory: `/work/x`\n", "- Created: 2026-12-06T00:00:00Z\n",
		"## User · 2026-12-06T00:00:00Z\n\n> run the tests\n> please\n",
		"### Assistant\n\nRunning them.\n",
		"**Tool call:** `Bash` (t1)\n\n```json\n{\n  \"command\": \"go test ./...\"\n}\n```\n",
		"**Permission requested:** `Bash` — run go test\n",
		"**Permission allow** by user\n",
		"**Tool error** (t1), exit code 1\n",
		"**Error** `idle_timeout`: no output\n",
		"_Usage: 120 input · 45 output tokens · $0.0123._\n",
		"_Turn ended: timeout._\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Count(md, "Running them.") != 1 {
		t.Errorf("the whole message and its deltas both rendered:\n%s", md)
	}
	// The tool output cannot end its block: the fence is longer than
	// any run of backticks in it, and the block holds the output exactly.
	open := "`````text\n"
	i := strings.Index(md, open)
	if i < 0 {
		t.Fatalf("no five-backtick fence around the output:\n%s", md)
	}
	rest := md[i+len(open):]
	end := strings.Index(rest, "\n`````\n")
	if end < 0 || rest[:end] != "ok\n```\n# not a heading\n````\nFAIL" {
		t.Fatalf("the fenced output is %q", rest)
	}
}

func TestExportJSONL(t *testing.T) {
	l := exportTestLog()
	var b bytes.Buffer
	if err := WriteExport(context.Background(), l, "s-1", FormatJSONL, &b); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	n := 0
	for sc.Scan() {
		var ev event.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		want, _ := json.Marshal(l.log[n])
		if ev.Seq != int64(n+1) || sc.Text() != string(want) {
			t.Fatalf("line %d is %s, want %s", n+1, sc.Text(), want)
		}
		n++
	}
	if n != len(l.log) {
		t.Fatalf("%d lines for %d events", n, len(l.log))
	}
}

// TestExportSessionParts: the parts ExportSession returns, concatenated,
// are the file WriteExport streams, also where a part ends inside an
// assistant message arriving as deltas; the log is read one page at a
// time.
func TestExportSessionParts(t *testing.T) {
	l := &logSessions{info: session.Info{ID: "s-2", Agent: "codex", Cwd: "/w", CreatedAt: time.Unix(0, 0)}}
	for turn := 0; l.log == nil || len(l.log) < 2*MaxEventsPage+500; turn++ {
		l.add(event.RunStarted, map[string]any{"prompt": fmt.Sprintf("turn %d", turn)})
		msg := fmt.Sprintf("m%d", turn)
		var whole strings.Builder
		for i := 0; i < 37+turn%50; i++ {
			part := fmt.Sprintf("w%d.%d ", turn, i)
			whole.WriteString(part)
			l.add(event.AssistantText, map[string]any{"text": part, "delta": true, "messageId": msg})
		}
		l.add(event.AssistantText, map[string]any{"text": whole.String(), "messageId": msg})
		l.add(event.Usage, map[string]any{"inputTokens": turn, "outputTokens": 1})
	}
	for _, format := range []string{FormatMarkdown, FormatJSONL} {
		var want bytes.Buffer
		l.reads = 0
		if err := WriteExport(context.Background(), l, "s-2", format, &want); err != nil {
			t.Fatal(err)
		}
		if l.reads < 3 {
			t.Fatalf("%s: the log was read in %d pages", format, l.reads)
		}
		a := New(l, nil)
		var got strings.Builder
		p := ExportSessionParams{SessionID: "s-2", Format: format}
		parts := 0
		for {
			r, err := a.ExportSession(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			parts++
			got.WriteString(r.Content)
			if !r.More {
				break
			}
			if r.Next <= p.Since || parts > 10 {
				t.Fatalf("%s: part %d does not advance: since %d, next %d", format, parts, p.Since, r.Next)
			}
			p.Since = r.Next
		}
		if parts < 3 || got.String() != want.String() {
			t.Fatalf("%s: %d parts, %d bytes, want the %d bytes of the streamed file", format, parts, got.Len(), want.Len())
		}
	}
}

func TestExportSessionRefuses(t *testing.T) {
	a := New(exportTestLog(), nil)
	for _, c := range []struct {
		p    ExportSessionParams
		code string
	}{
		{ExportSessionParams{SessionID: "s-1", Format: "html"}, CodeInvalidArgument},
		{ExportSessionParams{SessionID: "s-1"}, CodeInvalidArgument},
		{ExportSessionParams{Format: FormatJSONL}, CodeInvalidArgument},
		{ExportSessionParams{SessionID: "s-1", Format: FormatJSONL, Since: -1}, CodeInvalidArgument},
		{ExportSessionParams{SessionID: "nope", Format: FormatJSONL}, CodeNotFound},
	} {
		if _, err := a.ExportSession(context.Background(), c.p); AsError(err).Code != c.code {
			t.Errorf("%+v: %v, want %s", c.p, err, c.code)
		}
	}
}

func TestFence(t *testing.T) {
	for in, want := range map[string]string{"": "```", "a`b": "```", "``": "```", "```": "````", "x`````y": "``````"} {
		if got := Fence(in); got != want {
			t.Errorf("Fence(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdCode("a`b"); got != "``a`b``" {
		t.Errorf("mdCode = %q", got)
	}
}

func TestExportSessionOverHTTP(t *testing.T) {
	e := startE2E(t, t.TempDir())
	defer e.close()
	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir()}, &sess)
	st := e.stream("?session="+sess.ID, 0)
	defer st.stop()
	var run SendMessageResult
	e.call("SendMessage", SendMessageParams{SessionID: sess.ID, Text: "tool:make"}, &run)
	evs := st.until(func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	var pr struct {
		RequestID string `json:"requestId"`
	}
	json.Unmarshal(evs[len(evs)-1].Data, &pr)
	e.call("RespondPermission", map[string]any{"sessionId": sess.ID, "requestId": pr.RequestID, "allow": true}, nil)
	st.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run.RunID })

	var md ExportSessionResult
	e.call("ExportSession", ExportSessionParams{SessionID: sess.ID, Format: FormatMarkdown}, &md)
	if md.More || md.FileName != "corral-"+sess.ID+".md" || !strings.HasPrefix(md.MediaType, "text/markdown") {
		t.Fatalf("%+v", md)
	}
	for _, want := range []string{"# tool:make\n", "> tool:make\n", "**Tool call:**", "**Permission allow** by user", "ran: make"} {
		if !strings.Contains(md.Content, want) {
			t.Errorf("missing %q in\n%s", want, md.Content)
		}
	}
	var page GetEventsResult
	e.call("GetEvents", GetEventsParams{SessionID: sess.ID}, &page)
	var jl ExportSessionResult
	e.call("ExportSession", ExportSessionParams{SessionID: sess.ID, Format: FormatJSONL}, &jl)
	lines := strings.Split(strings.TrimSuffix(jl.Content, "\n"), "\n")
	if len(lines) != len(page.Events) || jl.Next != page.Events[len(page.Events)-1].Seq {
		t.Fatalf("%d lines, next %d, for %d events", len(lines), jl.Next, len(page.Events))
	}
	for i, line := range lines {
		want, _ := json.Marshal(page.Events[i])
		if line != string(want) {
			t.Fatalf("line %d: %s\nwant %s", i+1, line, want)
		}
	}
}

// mdFences marks, for each line of a Markdown document, whether it lies
// inside a top-level fenced code block (the fence lines included), the
// way CommonMark reads fences: an opener is three or more backticks or
// tildes indented at most three spaces (a backtick fence's info string has
// no backtick); the closer is the same character, at least as many, and
// nothing after it but spaces. It also reports whether a block is still
// open at the end.
func mdFences(md string) (inside []bool, open bool) {
	var char byte
	var n int
	for _, line := range strings.Split(md, "\n") {
		rest := strings.TrimLeft(line, " ")
		run := 0
		if len(line)-len(rest) <= 3 && rest != "" && (rest[0] == '`' || rest[0] == '~') {
			for run < len(rest) && rest[run] == rest[0] {
				run++
			}
		}
		switch {
		case open:
			inside = append(inside, true)
			if run >= n && rest[0] == char && strings.TrimRight(rest[run:], " \t") == "" {
				open = false
			}
		case run >= 3 && (rest[0] == '~' || !strings.Contains(rest[run:], "`")):
			inside = append(inside, true)
			open, char, n = true, rest[0], run
		default:
			inside = append(inside, false)
		}
	}
	return inside, open
}

// TestExportMarkdownClosesCutFences: assistant text cut off inside a code
// block (an interrupted turn) gets its fence closed at the end of the
// message, so the transcript after it is not rendered as code; text whose
// fences balance, or that is only cut by the held-text limit, is written
// as it came.
func TestExportMarkdownClosesCutFences(t *testing.T) {
	big := strings.Repeat("x := 1\n", maxPendingText/7+1)
	for _, c := range []struct {
		name string
		add  func(l *logSessions)
		code []string // lines that must be inside a code block
		text []string // lines that must be outside any
	}{{
		name: "interrupted deltas",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "Here:\n```go\nfunc main() {\n", "delta": true, "messageId": "m1"})
			l.add(event.RunExited, map[string]any{"reason": "interrupted"})
		},
		code: []string{"func main() {"},
		text: []string{"Here:", "_Turn ended: interrupted._"},
	}, {
		name: "tilde fence holding backticks",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "~~~~py\n```\nx = 1\n~~~\n", "messageId": "m1"})
			l.add(event.ToolCall, map[string]any{"id": "t1", "name": "Bash"})
		},
		code: []string{"```", "x = 1", "~~~"},
		text: []string{"**Tool call:** `Bash` (t1)"},
	}, {
		name: "indented long fence, next message",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "  `````\ncode\n````\n", "delta": true, "messageId": "m1"})
			l.add(event.AssistantText, map[string]any{"text": "Next.", "delta": true, "messageId": "m2"})
		},
		code: []string{"code", "````"},
		text: []string{"Next."},
	}, {
		name: "indented code and inline backticks are no fence",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "    ```\nsee ```a`b``` here\n```x`y\n", "messageId": "m1"})
		},
		text: []string{"    ```", "see ```a`b``` here", "```x`y"},
	}, {
		name: "balanced fences",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "```\na\n```\n~~~\nb\n~~~", "messageId": "m1"})
		},
		code: []string{"a", "b"},
	}, {
		name: "fence across the held-text limit",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "```go\n" + big, "delta": true, "messageId": "m1"})
			l.add(event.AssistantText, map[string]any{"text": "y := 2\n```\nDone.", "delta": true, "messageId": "m1"})
			l.add(event.AssistantText, map[string]any{"text": "```go\n" + big + "y := 2\n```\nDone.", "messageId": "m1"})
		},
		code: []string{"x := 1", "y := 2"},
		text: []string{"Done."},
	}, {
		name: "fence open at the held-text limit, whole message repeats it",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "```go\n" + big, "delta": true, "messageId": "m1"})
			l.add(event.AssistantText, map[string]any{"text": "```go\n" + big, "messageId": "m1"})
			l.add(event.AssistantText, map[string]any{"text": "Next.", "delta": true, "messageId": "m2"})
		},
		code: []string{"x := 1"},
		text: []string{"Next."},
	}, {
		name: "fence open at the held-text limit, next message",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "```go\n" + big, "delta": true, "messageId": "m1"})
			l.add(event.AssistantText, map[string]any{"text": "Next.", "delta": true, "messageId": "m2"})
		},
		code: []string{"x := 1"},
		text: []string{"Next."},
	}, {
		name: "fence open at the held-text limit, then cut",
		add: func(l *logSessions) {
			l.add(event.AssistantText, map[string]any{"text": "```go\n" + big, "delta": true, "messageId": "m1"})
			l.add(event.RunExited, map[string]any{"reason": "interrupted"})
		},
		code: []string{"x := 1"},
		text: []string{"_Turn ended: interrupted._"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			l := &logSessions{info: session.Info{ID: "s-1", Agent: "claude", Cwd: "/w"}}
			l.add(event.RunStarted, map[string]any{"prompt": "write it"})
			c.add(l)
			l.add(event.RunStarted, map[string]any{"prompt": "go on"})
			var b bytes.Buffer
			if err := WriteExport(context.Background(), l, "s-1", FormatMarkdown, &b); err != nil {
				t.Fatal(err)
			}
			md := b.String()
			show := md
			if len(show) > 2000 {
				show = show[:1000] + "\n…\n" + show[len(show)-1000:]
			}
			inside, open := mdFences(md)
			if open {
				t.Errorf("a code block is open at the end:\n%s", show)
			}
			lines := strings.Split(md, "\n")
			where := map[string][]bool{}
			for i, line := range lines {
				where[line] = append(where[line], inside[i])
			}
			check := func(line string, want bool) {
				if len(where[line]) == 0 {
					t.Errorf("line %q missing:\n%s", line, show)
				}
				for _, in := range where[line] {
					if in != want {
						t.Errorf("line %q inside a code block: %v, want %v:\n%s", line, in, want, show)
						return
					}
				}
			}
			for _, line := range c.code {
				check(line, true)
			}
			for _, line := range append(c.text, "## User · 2026-12-06T00:00:00Z", "> go on") {
				check(line, false)
			}
			if got := strings.Count(md, "## User"); got != 2 {
				t.Errorf("%d user headings, want 2", got)
			}
		})
	}
}

// An event whose data does not decode (a damaged or foreign log) is not
// rendered as an empty message: the transcript says which event could not
// be read, and goes on.
func TestExportMarkdownUnreadableEvent(t *testing.T) {
	l := exportTestLog()
	for _, c := range []struct {
		kind string
		data string
	}{
		{event.ToolCall, `{"id": 7}`},
		{event.AssistantText, `not json`},
		{event.RunStarted, `{"prompt": ["a"]}`},
	} {
		ev := event.Event{Kind: c.kind, Data: json.RawMessage(c.data), Seq: int64(len(l.log) + 1), SessionID: "s-1",
			Time: time.Date(2026, 12, 6, 0, 1, 0, 0, time.UTC)}
		l.log = append(l.log, ev)
	}
	l.add(event.RunStarted, map[string]any{"prompt": "after the damage"})
	var b bytes.Buffer
	if err := WriteExport(context.Background(), l, "s-1", FormatMarkdown, &b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"_Unreadable event 12 (tool.call): ",
		"_Unreadable event 13 (assistant.text): ",
		"_Unreadable event 14 (run.started): ",
		"> after the damage\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "**Tool call:** ``") {
		t.Errorf("the unreadable tool call rendered as an empty one:\n%s", md)
	}
}

// In JSON Lines an event whose data or raw line is not JSON (which
// json.Marshal refuses, ending the export) is written with its data
// replaced by {"unreadableEvent": true, "error", "data"}: the bytes kept
// as a string, the lines after it exported as they are.
func TestExportJSONLUnreadableEvent(t *testing.T) {
	l := exportTestLog()
	l.log = append(l.log, event.Event{Kind: event.ToolCall, Data: json.RawMessage(`not json`), Seq: int64(len(l.log) + 1), SessionID: "s-1"},
		event.Event{Kind: event.AssistantText, Data: json.RawMessage(`{}`), Raw: json.RawMessage(`{"cut`), Seq: int64(len(l.log) + 2), SessionID: "s-1"})
	l.add(event.RunStarted, map[string]any{"prompt": "after the damage"})
	var b bytes.Buffer
	if err := WriteExport(context.Background(), l, "s-1", FormatJSONL, &b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(l.log) {
		t.Fatalf("%d lines for %d events", len(lines), len(l.log))
	}
	for i, want := range map[int]string{12: "not json", 13: `{"cut`} {
		var ev event.Event
		if err := json.Unmarshal([]byte(lines[i-1]), &ev); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		var d struct {
			Unreadable bool   `json:"unreadableEvent"`
			Error      string `json:"error"`
			Data       string `json:"data"`
			Raw        string `json:"raw"`
		}
		json.Unmarshal(ev.Data, &d) // error ignored: checked below
		if ev.Seq != int64(i) || !d.Unreadable || d.Error == "" || d.Data != want && d.Raw != want {
			t.Fatalf("line %d: %s", i, lines[i-1])
		}
	}
}
