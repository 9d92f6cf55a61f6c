package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// bigContent is one session of huge content: its prompt, the tool output
// (empty: no tool call) and the reply, which starts with the needle.
type bigContent struct {
	prompt, output, reply, needle string
}

// makeBig returns the content of a session of kind holding size bytes.
func makeBig(kind string, size int) (bigContent, error) {
	needle := fmt.Sprintf("BIG-%s-%d", kind, size)
	switch kind {
	case "token":
		// no place a line may break, the way a minified script or an
		// encoded blob looks, in the prompt and in the reply
		tok := token(size)
		return bigContent{prompt: "what is in this? " + tok, reply: needle + " here is the file:\n\n" + tok, needle: needle}, nil
	case "markdown":
		return bigContent{prompt: "explain the notes", reply: needle + " the notes:\n\n" + markers(size), needle: needle}, nil
	case "text":
		return bigContent{prompt: "write it all down", reply: needle + " the notes:\n\n" + prose(size), needle: needle}, nil
	case "output":
		return bigContent{prompt: "build it", output: buildLog(size), reply: needle + " the build log is above.", needle: needle}, nil
	}
	return bigContent{}, fmt.Errorf("unknown kind %q (token, markdown, text or output)", kind)
}

// rng is a fixed pseudo-random sequence: the same bytes on every run.
type rng uint32

func (r *rng) next(n int) int {
	*r = *r*1103515245 + 12345
	return int(uint32(*r)>>16) % n
}

// token returns n characters without a space, among them the characters
// Markdown looks for (_ * ` [ <).
func token(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*`[<"
	r := rng(1)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.next(len(alphabet))]
	}
	return string(b)
}

// markers returns about n bytes of prose in paragraphs of one 100 KB line,
// full of Markdown markers that mostly find no partner (* ** _ __ ~~, [ without ],
// single and double backticks, unclosed autolinks).
func markers(n int) string {
	pieces := []string{"lorem", "ipsum", "dolor", "sit", "amet", "[ref", "*note", "**", "`", "``", "_x", "__", "~~", "<http:", "(c)", "x*y", "h"}
	r := rng(7)
	var sb strings.Builder
	line := 0
	for sb.Len() < n {
		sb.WriteString(pieces[r.next(len(pieces))])
		line += 6
		if line >= 100_000 {
			sb.WriteString("\n\n")
			line = 0
		} else {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

// prose returns about n bytes of plain prose: lines of about 70
// characters in paragraphs of five lines, the way a long reply looks.
func prose(n int) string {
	words := []string{"the", "session", "runs", "a", "command", "and", "streams", "its", "output", "to", "page", "while", "agent", "waits", "for", "approval", "of", "next", "step"}
	r := rng(3)
	var sb strings.Builder
	line, lines := 0, 0
	for sb.Len() < n {
		w := words[r.next(len(words))]
		sb.WriteString(w)
		line += len(w) + 1
		switch {
		case line < 70:
			sb.WriteByte(' ')
		case lines < 4:
			sb.WriteByte('\n')
			line, lines = 0, lines+1
		default:
			sb.WriteString(".\n\n")
			line, lines = 0, 0
		}
	}
	return sb.String()
}

// buildLog returns about n bytes of a tool's output: a 100 KB minified
// line, then log lines.
func buildLog(n int) string {
	var sb strings.Builder
	sb.WriteString(token(min(n/2, 100_000)))
	sb.WriteByte('\n')
	for i := 0; sb.Len() < n; i++ {
		fmt.Fprintf(&sb, "[%06d] compiled src/module-%d.ts -> dist/module-%d.js (%d bytes, %d ms)\n", i, i, i, 1000+i*7%5000, i%97)
	}
	return sb.String()
}

// seedBig writes one session per item of spec ("KIND:BYTES,…").
func seedBig(data, cwd, spec string) error {
	st, err := store.Open(data, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, item := range strings.Split(spec, ",") {
		kind, size, ok := strings.Cut(item, ":")
		n, err := strconv.Atoi(size)
		if !ok || err != nil || n <= 0 {
			return fmt.Errorf("-big %q: want KIND:BYTES", item)
		}
		c, err := makeBig(kind, n)
		if err != nil {
			return err
		}
		if err := writeBig(st, cwd, kind, n, c); err != nil {
			return err
		}
	}
	return nil
}

func writeBig(st *store.Store, cwd, kind string, size int, c bigContent) error {
	ctx := context.Background()
	id := fmt.Sprintf("s-seed-big-%s-%d", kind, size)
	start := time.Now().Add(-time.Minute)
	if _, err := st.CreateSession(ctx, store.Session{
		ID: id, Agent: "fake", Cwd: cwd, Title: fmt.Sprintf("seeded: %d bytes of %s", size, kind),
		Status: "idle", CreatedAt: start, UpdatedAt: start, LastActivity: start, Messages: 1,
	}); err != nil {
		return err
	}
	run := "r-" + id
	if err := st.CreateRun(ctx, store.Run{ID: run, SessionID: id, StartedAt: start}); err != nil {
		return err
	}
	clock := start
	mk := func(kind string, d any) event.Event {
		clock = clock.Add(time.Millisecond)
		ev := event.New(kind, d)
		ev.SessionID, ev.RunID, ev.Time = id, run, clock
		return ev
	}
	evs := []event.Event{mk(event.RunStarted, map[string]any{"prompt": c.prompt})}
	if c.output != "" {
		input, _ := json.Marshal(map[string]string{"command": "npm run build"})
		evs = append(evs,
			mk(event.ToolCall, map[string]any{"id": "toolu_" + id, "name": "Bash", "input": json.RawMessage(input)}),
			mk(event.ToolResult, map[string]any{"id": "toolu_" + id, "output": c.output, "isError": false}))
	}
	evs = append(evs,
		mk(event.AssistantText, map[string]any{"text": c.reply, "delta": false, "messageId": "msg-" + id}),
		mk(event.Usage, map[string]any{"inputTokens": size / 4, "outputTokens": size / 4, "costUsd": 0.01}),
		mk(event.TurnCompleted, map[string]any{"ok": true, "stopReason": "end_turn"}))
	if err := st.Append(evs...); err != nil {
		return err
	}
	code := 0
	if _, err := st.FinishRun(ctx, run, store.RunEnd{ExitCode: &code, Reason: "exit"}); err != nil {
		return err
	}
	if err := st.Sync(ctx); err != nil {
		return err
	}
	fmt.Printf("SEED_SESSION=%s SEED_EVENTS=%d SEED_NEEDLE=%s\n", id, len(evs)+1, c.needle)
	return nil
}
