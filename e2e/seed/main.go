// Command seed writes a long finished session straight into a corral data
// directory, for the browser speed test "open a session of 100,000
// events". It must run while no corral is serving that directory.
//
//	seed -data DIR -cwd DIR [-events 100000] [-per-turn 100]
//
// The session belongs to agent "fake" and is idle. It is made of turns the
// way the Claude adapter and the session layer write them: run.started with
// the prompt, assistant.text deltas, the whole text block, every fifth turn
// a tool call and its result, usage, turn.completed and the run's one
// run.exited (through store.FinishRun). The last turn's text ends with a
// marker line "END-OF-SEED <turns>" that the test waits for. It prints the
// session id and the number of events written as
// "SEED_SESSION=<id> SEED_EVENTS=<n>".
//
//	seed -data DIR -cwd DIR -big KIND:BYTES[,KIND:BYTES…]
//
// writes instead one small session per item holding huge content (see
// big.go): KIND token (one unbroken token of BYTES characters in the prompt
// and the reply), markdown (a reply of BYTES of prose full of unmatched
// Markdown markers), text (a reply of BYTES of plain prose in short lines)
// or output (a tool output of BYTES). It prints
// "SEED_SESSION=<id> SEED_EVENTS=<n> SEED_NEEDLE=<text>" for each, the
// needle being a text at the start of the session's last reply.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func main() {
	data := flag.String("data", "", "corral data directory (required)")
	cwd := flag.String("cwd", "", "working directory recorded for the session (required)")
	total := flag.Int("events", 100000, "events to write")
	perTurn := flag.Int("per-turn", 100, "events per turn (at least 10)")
	big := flag.String("big", "", "write instead sessions holding huge content: KIND:BYTES,… (KIND token, markdown, text or output)")
	flag.Parse()
	if *data != "" && *cwd != "" && *big != "" {
		if err := seedBig(*data, *cwd, *big); err != nil {
			fmt.Fprintln(os.Stderr, "seed:", err)
			os.Exit(1)
		}
		return
	}
	if *data == "" || *cwd == "" || *perTurn < 10 || *total < *perTurn {
		flag.Usage()
		os.Exit(2)
	}
	if err := seed(*data, *cwd, *total, *perTurn); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func seed(data, cwd string, total, perTurn int) error {
	ctx := context.Background()
	st, err := store.Open(data, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()

	const id = "s-seed-100k"
	start := time.Now().Add(-time.Duration(total) * time.Millisecond)
	if _, err := st.CreateSession(ctx, store.Session{
		ID: id, Agent: "fake", Cwd: cwd, Title: fmt.Sprintf("seeded: %d events", total),
		Status: "idle", CreatedAt: start, UpdatedAt: start, LastActivity: start,
	}); err != nil {
		return err
	}
	turns := total / perTurn
	written := 0
	clock := start
	tick := func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	mk := func(kind, run string, data any) event.Event {
		ev := event.New(kind, data)
		ev.SessionID, ev.RunID, ev.Time = id, run, tick()
		return ev
	}
	for turn := 1; turn <= turns; turn++ {
		run := fmt.Sprintf("r-seed-%06d", turn)
		if err := st.CreateRun(ctx, store.Run{ID: run, SessionID: id, StartedAt: clock}); err != nil {
			return err
		}
		withTool := turn%5 == 0
		// run.started, whole block, usage, turn.completed, run.exited, and
		// a tool call and result on some turns; the rest are deltas. The
		// last turn makes up for a total that perTurn does not divide.
		deltas := perTurn - 5
		if withTool {
			deltas -= 2
		}
		if turn == turns {
			deltas += total - turns*perTurn
		}
		evs := make([]event.Event, 0, perTurn)
		evs = append(evs, mk(event.RunStarted, run, map[string]any{"prompt": fmt.Sprintf("question %d: what changed in step %d?", turn, turn)}))
		msg := fmt.Sprintf("msg-%06d", turn)
		var text strings.Builder
		for i := 0; i < deltas; i++ {
			var piece string
			switch {
			case i == 0:
				piece = fmt.Sprintf("Answer %d. ", turn)
			case i%24 == 0:
				piece = "\n\n"
			default:
				piece = fmt.Sprintf("word%d ", i)
			}
			if turn == turns && i == deltas-1 {
				piece = fmt.Sprintf("\n\nEND-OF-SEED %d", turns)
			}
			text.WriteString(piece)
			evs = append(evs, mk(event.AssistantText, run, map[string]any{"text": piece, "delta": true, "messageId": msg}))
		}
		evs = append(evs, mk(event.AssistantText, run, map[string]any{"text": text.String(), "delta": false, "messageId": msg}))
		if withTool {
			tid := fmt.Sprintf("toolu_seed_%06d", turn)
			input, _ := json.Marshal(map[string]string{"command": fmt.Sprintf("ls step-%d", turn)})
			evs = append(evs,
				mk(event.ToolCall, run, map[string]any{"id": tid, "name": "Bash", "input": json.RawMessage(input)}),
				mk(event.ToolResult, run, map[string]any{"id": tid, "output": fmt.Sprintf("file-a\nfile-b\nstep-%d.txt", turn), "isError": false}))
		}
		evs = append(evs,
			mk(event.Usage, run, map[string]any{"inputTokens": 1200 + turn, "outputTokens": deltas, "costUsd": 0.001}),
			mk(event.TurnCompleted, run, map[string]any{"ok": true, "stopReason": "end_turn"}))
		if err := st.Append(evs...); err != nil {
			return err
		}
		code := 0
		if _, err := st.FinishRun(ctx, run, store.RunEnd{ExitCode: &code, Reason: "exit"}); err != nil {
			return err
		}
		written += len(evs) + 1
	}
	if err := st.Sync(ctx); err != nil {
		return err
	}
	if _, err := st.UpdateSession(ctx, id, func(s *store.Session) error {
		s.Messages = int64(turns)
		s.LastActivity = clock
		return nil
	}); err != nil {
		return err
	}
	fmt.Printf("SEED_SESSION=%s SEED_EVENTS=%d\n", id, written)
	return nil
}
