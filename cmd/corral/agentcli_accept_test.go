package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/internal/proctest"
)

// startServeAsUser starts `corral serve --no-open` the way a user does
// from a shell: no flag but --no-open, no configuration file, the data
// directory in HOME, and an environment of only env (plus the variables
// that make this test binary run corral's main and mark its processes).
func startServeAsUser(t *testing.T, home string, env []string) *serveProc {
	t.Helper()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(home, ".local", "share", "corral") // the default data directory on Linux
	sp := &serveProc{t: t, out: &bytes.Buffer{}, errb: &bytes.Buffer{}, ipath: filepath.Join(data, ServeFile)}
	sp.cmd = exec.Command(exe, "serve", "--no-open")
	sp.cmd.Dir = home
	sp.cmd.Env = append(append([]string{}, env...), corralMainEnv+"=1", mark)
	sp.cmd.Stdout, sp.cmd.Stderr = sp.out, sp.errb
	if err := sp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.cmd.Process.Kill() })
	for i := 0; ; i++ {
		b, err := os.ReadFile(sp.ipath)
		if err == nil && json.Unmarshal(b, &sp.info) == nil && sp.info.PID == sp.cmd.Process.Pid {
			break
		}
		if sp.cmd.ProcessState != nil || i > 3000 {
			t.Fatalf("no serve.json in %s; stderr: %s", data, sp.errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	sp.base = strings.SplitN(sp.info.URL, "#", 2)[0]
	return sp
}

func (sp *serveProc) stop() {
	sp.t.Helper()
	sp.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(sp.t, sp.cmd.Wait()); code != 0 {
		sp.t.Fatalf("corral serve exit %d: %s", code, sp.errb.String())
	}
}

// sessionEvents is every event of a session, paged with GetEvents.
func (sp *serveProc) sessionEvents(sessionID string) []struct {
	Seq   int64
	RunID string
	Kind  string
	Data  json.RawMessage
	Raw   json.RawMessage
} {
	sp.t.Helper()
	type ev = struct {
		Seq   int64
		RunID string
		Kind  string
		Data  json.RawMessage
		Raw   json.RawMessage
	}
	var out []ev
	var since int64
	for {
		var page struct {
			Events []ev
			More   bool
		}
		sp.mustCall("GetEvents", fmt.Sprintf(`{"sessionId":%q,"since":%d,"limit":1000}`, sessionID, since), &page)
		out = append(out, page.Events...)
		if !page.More || len(page.Events) == 0 {
			return out
		}
		since = page.Events[len(page.Events)-1].Seq
	}
}

// claudeTurn is what corral recorded of one turn of Claude Code.
type claudeTurn struct {
	ok        bool
	reply     string
	cost      float64 // corral's usage event: the turn's cost
	cliTotal  float64 // the CLI's own total_cost_usd on its result line
	inTokens  int64
	outTokens int64
	// the CLI's own token counts on its result line, cache included
	cli struct {
		In         int64 `json:"input_tokens"`
		Out        int64 `json:"output_tokens"`
		CacheRead  int64 `json:"cache_read_input_tokens"`
		CacheWrite int64 `json:"cache_creation_input_tokens"`
	}
}

// claudeTurns reads each turn's outcome, reply, usage and the CLI's own
// result line from a session's events, in order.
func (sp *serveProc) claudeTurns(sessionID string) []claudeTurn {
	sp.t.Helper()
	var turns []claudeTurn
	byRun := map[string]int{}
	for _, e := range sp.sessionEvents(sessionID) {
		if e.RunID == "" {
			continue
		}
		i, ok := byRun[e.RunID]
		if !ok && e.Kind == "run.started" {
			byRun[e.RunID] = len(turns)
			turns = append(turns, claudeTurn{})
			continue
		}
		if !ok {
			continue
		}
		tr := &turns[i]
		switch e.Kind {
		case "assistant.text":
			var d struct {
				Text  string
				Delta bool
			}
			json.Unmarshal(e.Data, &d)
			if !d.Delta {
				tr.reply = d.Text
			}
		case "usage":
			var d struct {
				CostUSD      float64 `json:"costUsd"`
				InputTokens  int64   `json:"inputTokens"`
				OutputTokens int64   `json:"outputTokens"`
			}
			var raw struct {
				Type  string          `json:"type"`
				Total float64         `json:"total_cost_usd"`
				Usage json.RawMessage `json:"usage"`
			}
			if json.Unmarshal(e.Data, &d) != nil || json.Unmarshal(e.Raw, &raw) != nil || raw.Type != "result" {
				sp.t.Fatalf("usage event %s raw %s", e.Data, e.Raw)
			}
			tr.cost, tr.cliTotal, tr.inTokens, tr.outTokens = d.CostUSD, raw.Total, d.InputTokens, d.OutputTokens
			if json.Unmarshal(raw.Usage, &tr.cli) != nil {
				sp.t.Fatalf("result usage %s", raw.Usage)
			}
		case "turn.completed":
			var d struct{ OK bool }
			json.Unmarshal(e.Data, &d)
			tr.ok = d.OK
		}
	}
	return turns
}

func nearUSD(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestServeAgentCLIClaudeFromAShell starts corral serve as a user would
// after `export ANTHROPIC_API_KEY=… ANTHROPIC_BASE_URL=…` in a shell: no
// configuration file, no flag, an environment of PATH (where claude is
// installed), HOME and those two variables. Corral finds Claude Code on
// PATH and passes it its credential variables by default, so a real turn
// against the mock model API succeeds.
//
// The session then runs three turns; corral serve is restarted after the
// second (same URL and token), so the third runs in a new Claude process
// that resumes the conversation. Corral's figures must be the CLI's: each
// turn's cost is the rise of the CLI's running total (total_cost_usd, per
// process), and the session's cost (GetSession) is the sum of each
// process's final total.
func TestServeAgentCLIClaudeFromAShell(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the default data directory this test reads is Linux's")
	}
	bin := clitest.Require(t, clitest.Claude)
	m, err := mockllm.Start(mockllm.Echo())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	home := clitest.Home(t)
	cwd := filepath.Join(home, "work")
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"ANTHROPIC_API_KEY=sk-test",
		"ANTHROPIC_BASE_URL=" + m.URL,
	}
	sp := startServeAsUser(t, home, env)

	var agents []struct {
		Name, Status, Path string
	}
	sp.mustCall("ListAgents", `{}`, &agents)
	found := false
	for _, a := range agents {
		found = found || (a.Name == "claude" && a.Status == "ok")
	}
	if !found {
		t.Fatalf("claude not found on PATH: %+v", agents)
	}
	var sess struct{ ID string }
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"claude","cwd":%q}`, cwd), &sess)
	send := func(text string, n int) {
		sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":%q}`, sess.ID, text), nil)
		sp.awaitTurn(sess.ID, n)
	}
	send("first question", 1)
	turns := sp.claudeTurns(sess.ID)
	if len(turns) != 1 || !turns[0].ok || !strings.Contains(turns[0].reply, "first question") {
		t.Fatalf("the first turn with only the shell's variables: %+v; corral: %s", turns, sp.errb.String())
	}
	send("second question", 2)
	// Restart corral: its agents are stopped with it, so the third turn
	// runs in a new Claude process that resumes the conversation. The
	// restarted corral has the same URL and token.
	first := sp.info
	sp.stop()
	sp = startServeAsUser(t, home, env)
	if sp.info.URL != first.URL || sp.info.Token != first.Token || sp.info.Port != first.Port {
		t.Fatalf("after a restart %s (port %d), before %s (port %d)", sp.info.URL, sp.info.Port, first.URL, first.Port)
	}
	sp.mustCall("ResumeSession", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), nil)
	send("third question", 3)

	turns = sp.claudeTurns(sess.ID)
	if len(turns) != 3 {
		t.Fatalf("%d turns: %+v", len(turns), turns)
	}
	for i, tr := range turns {
		if !tr.ok || !strings.Contains(tr.reply, []string{"first", "second", "third"}[i]+" question") || tr.cliTotal <= 0 || tr.inTokens <= 0 || tr.outTokens <= 0 {
			t.Fatalf("turn %d: %+v", i+1, tr)
		}
	}
	// The first process ran turns 1 and 2 (its total rises); the second
	// process, turn 3, counts from zero again.
	if !(turns[1].cliTotal > turns[0].cliTotal) {
		t.Fatalf("the first process's running total did not rise: %+v", turns)
	}
	want := []float64{turns[0].cliTotal, turns[1].cliTotal - turns[0].cliTotal, turns[2].cliTotal}
	for i, tr := range turns {
		if !nearUSD(tr.cost, want[i]) {
			t.Fatalf("turn %d costs %v in corral; from the CLI's totals it costs %v (turns %+v)", i+1, tr.cost, want[i], turns)
		}
	}
	cliSession := turns[1].cliTotal + turns[2].cliTotal
	var got struct {
		CostUSD      float64 `json:"costUsd"`
		InputTokens  int64   `json:"inputTokens"`
		OutputTokens int64   `json:"outputTokens"`
	}
	sp.mustCall("GetSession", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), &got)
	if !nearUSD(got.CostUSD, cliSession) {
		t.Fatalf("session cost %v, the CLI's processes reported %v in all (turns %+v)", got.CostUSD, cliSession, turns)
	}
	var in, out int64
	for _, tr := range turns {
		in, out = in+tr.inTokens, out+tr.outTokens
	}
	if got.InputTokens != in || got.OutputTokens != out {
		t.Fatalf("session tokens %d/%d, the turns' %d/%d", got.InputTokens, got.OutputTokens, in, out)
	}
	// The usage rollup sums to the CLI's own reports too, cache tokens
	// included, and its cost is the CLI's, not more (nothing estimated on
	// top of a reported cost).
	var cli [4]int64
	for _, tr := range turns {
		cli[0], cli[1], cli[2], cli[3] = cli[0]+tr.cli.In, cli[1]+tr.cli.Out, cli[2]+tr.cli.CacheRead, cli[3]+tr.cli.CacheWrite
	}
	var usage struct {
		Rows []struct {
			InputTokens, OutputTokens, CacheReadTokens, CacheWriteTokens int64
			CostUSD                                                      float64 `json:"costUsd"`
			Estimated                                                    bool
			Turns                                                        int64
		}
	}
	sp.mustCall("GetUsage", fmt.Sprintf(`{"groupBy":"agent","sessionId":%q}`, sess.ID), &usage)
	if len(usage.Rows) != 1 {
		t.Fatalf("usage rows %+v", usage.Rows)
	}
	u := usage.Rows[0]
	if [4]int64{u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens} != cli || !nearUSD(u.CostUSD, cliSession) || u.Estimated || u.Turns != 3 {
		t.Fatalf("usage %+v; the CLI reported tokens %v and $%v in all", u, cli, cliSession)
	}

	sp.stop()
}
