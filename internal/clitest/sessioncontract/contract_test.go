package sessioncontract

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// The cases below are written once and run for each CLI that supports
// them (see the Test functions at the end).

// textTurn: one turn streams text, records the agent's session id and
// usage, and leaves the session idle.
func textTurn(t *testing.T, cli clitest.CLI) {
	r := newRig(t, cli, mockllm.Echo())
	s := r.create("")
	w := r.watch(s.ID)
	run := r.send(s.ID, "hello there")
	evs := w.turnEnd(run)
	if got := text(t, evs); got != "reply 1: hello there" {
		t.Fatalf("text %q; events %s", got, kinds(evs))
	}
	if tc := completed(t, evs); !tc.OK {
		t.Fatalf("turn.completed %+v", tc)
	}
	if e := runEnd(t, evs, run); e.Reason != "exit" {
		t.Fatalf("run end %+v", e)
	}
	if len(ofKind(evs, event.RunStarted)) != 1 || len(ofKind(evs, event.Usage)) == 0 {
		t.Fatalf("run.started/usage missing: %s", kinds(evs))
	}
	inits := ofKind(evs, event.AgentInit)
	if len(inits) == 0 {
		t.Fatalf("no agent.init: %s", kinds(evs))
	}
	if d := data[agent.InitData](t, inits[0]); d.SessionID == "" {
		t.Fatalf("init without a session id: %+v", d)
	}
	w.settled(session.Idle)
	in, err := r.mgr().Get(r.ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	// "hello there" says nothing about the task: the automatic title is
	// the directory's name or the first line of the reply, never the
	// greeting itself (session/title.go).
	if in.AgentSessionID == "" || in.InputTokens == 0 || in.Messages != 1 || in.Title == "" || in.Title == "hello there" {
		t.Fatalf("session info %+v", in)
	}
	r.checkLog(s.ID)
}

// multiTurn: the second turn's request carries the first turn.
func multiTurn(t *testing.T, cli clitest.CLI) {
	r := newRig(t, cli, mockllm.Echo())
	s := r.create("")
	w := r.watch(s.ID)
	if got := text(t, w.turnEnd(r.send(s.ID, "hello there"))); got != "reply 1: hello there" {
		t.Fatalf("turn 1 text %q", got)
	}
	if got := text(t, w.turnEnd(r.send(s.ID, "second message"))); got != "reply 2: second message" {
		t.Fatalf("turn 2 text %q", got)
	}
	w.settled(session.Idle)
	reqs := r.mock.ModelRequests()
	if len(reqs) != 2 || strings.Join(reqs[1].UserTexts(), "|") != "hello there|second message" {
		t.Fatalf("%d model requests; the last carries %q", len(reqs), reqs[len(reqs)-1].UserTexts())
	}
	r.wantStatus(s.ID, session.Idle)
	r.checkLog(s.ID)
}

// approval: the model runs a shell command that needs approval; corral
// brokers the request; allowed, the file appears; denied, it does not and
// the model's follow-up request carries the denial.
func approval(t *testing.T, cli clitest.CLI, mode string, allow bool, ro ...rigOption) {
	r := newRig(t, cli, mockllm.ToolThenText(mockllm.Shell("touch marker.txt")), ro...)
	s := r.create(mode)
	w := r.watch(s.ID)
	run := r.send(s.ID, "make a file")
	evs := w.until("a permission request", isKind(event.PermissionRequest))
	req := data[agent.PermissionRequestData](t, evs[len(evs)-1])
	// Gemini's ACP mode sends no raw input; the command is the tool's title.
	if !strings.Contains(string(req.Input)+req.Tool, "touch marker.txt") {
		t.Fatalf("permission request %+v", req)
	}
	if evs[len(evs)-1].RunID != run {
		t.Fatalf("request in run %q, want %q", evs[len(evs)-1].RunID, run)
	}
	w.until("waiting_permission", statusIs(session.WaitingPermission))
	if in, _ := r.mgr().Get(r.ctx, s.ID); in.PendingPermissions != 1 {
		t.Fatalf("pending %d", in.PendingPermissions)
	}
	const why = "not in this directory"
	if err := r.mgr().RespondPermission(r.ctx, session.Answer{SessionID: s.ID, RequestID: req.RequestID, Allow: allow, Message: why}); err != nil {
		t.Fatal(err)
	}
	// The first answer wins.
	if err := r.mgr().RespondPermission(r.ctx, session.Answer{SessionID: s.ID, RequestID: req.RequestID, Allow: !allow}); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("second answer: %v", err)
	}
	evs = w.turnEnd(run)
	marker := filepath.Join(r.cwd, "marker.txt")
	// The model's last words, its answer to the tool's outcome: the text
	// after the last tool result (Gemini's ACP mode reports none for a
	// rejected call), streamed in deltas by some agents.
	answer := evs
	for i, ev := range evs {
		if ev.Kind == event.ToolResult {
			answer = evs[i+1:]
		}
	}
	final := text(t, answer)
	if allow {
		if !fileExists(marker) {
			t.Fatalf("allowed, but no file; events %s", kinds(evs))
		}
		if !strings.HasPrefix(final, "tool result") {
			t.Fatalf("final text %q", final)
		}
	} else {
		if fileExists(marker) {
			t.Fatal("denied, but the file exists")
		}
		// The model's next request carries the denial as a failed tool
		// call (Claude: with corral's message).
		reqs := r.mock.ModelRequests()
		res, ok := reqs[len(reqs)-1].LastToolResult()
		if !ok || !res.IsError || !strings.HasPrefix(final, "tool error") {
			t.Fatalf("the model did not see the denial: %+v %v; final text %q", res, ok, final)
		}
		if cli.Name == "claude" && !strings.Contains(res.Content, why) {
			t.Fatalf("Claude: the denial message did not reach the model: %+v", res)
		}
	}
	if tc := completed(t, evs); !tc.OK {
		t.Fatalf("turn.completed %+v", tc)
	}
	want := store.PermissionDeny
	if allow {
		want = store.PermissionAllow
	}
	if p, err := r.rt.Store.GetPermission(s.ID + "/" + req.RequestID); err != nil || p.Status != want || p.DecidedBy != "user" {
		t.Fatalf("stored decision %+v %v", p, err)
	}
	w.settled(session.Idle)
	r.checkLog(s.ID)
}

func statusIs(st session.Status) func(event.Event) bool {
	return func(ev event.Event) bool {
		if ev.Kind != event.SessionStatus {
			return false
		}
		return strings.Contains(string(ev.Data), `"status":"`+string(st)+`"`)
	}
}

// interrupt: Interrupt during a slowly streamed reply ends the turn as
// interrupted; the agent process stays and the next message works.
func interrupt(t *testing.T, cli clitest.CLI) {
	r := newRig(t, cli, mockllm.Slow("one two three four five six seven eight nine ten eleven twelve thirteen fourteen", 400*time.Millisecond))
	s := r.create("")
	w := r.watch(s.ID)
	run := r.send(s.ID, "count slowly")
	w.until("the first text delta", isKind(event.AssistantText))
	proc := mustInfo(t, r, s.ID)
	if err := r.mgr().Interrupt(r.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	evs := w.turnEnd(run)
	if e := runEnd(t, evs, run); e.Reason != "interrupted" {
		t.Fatalf("run end %+v; events %s", e, kinds(evs))
	}
	if tc := completed(t, evs); tc.OK || tc.Error == nil || tc.Error.Code != agent.CodeInterrupted {
		t.Fatalf("turn.completed %+v", tc)
	}
	if strings.Contains(text(t, evs), "fourteen") {
		t.Fatal("the whole reply streamed: the interrupt came too late to prove anything")
	}
	w.settled(session.Interrupted)
	if err := r.mgr().Interrupt(r.ctx, s.ID); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("interrupt with no turn: %v", err)
	}
	r.mock.SetScenario(mockllm.Text("after the interrupt"))
	run2 := r.send(s.ID, "go on")
	evs = w.turnEnd(run2)
	if got := text(t, evs); got != "after the interrupt" {
		t.Fatalf("next turn text %q", got)
	}
	for _, ev := range ofKind(evs, event.RunStarted) {
		if ev.ProcessID != proc {
			t.Fatalf("the agent process changed: %s → %s", proc, ev.ProcessID)
		}
	}
	w.settled(session.Idle)
	r.checkLog(s.ID)
}

// mustInfo returns the agent process id of the session's running turn.
func mustInfo(t *testing.T, r *rig, id string) string {
	t.Helper()
	evs := storedEvents(t, r.rt.Store, id)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == event.RunStarted {
			return evs[i].ProcessID
		}
	}
	t.Fatal("no run.started stored")
	return ""
}

// resume continues one agent conversation across every way its process
// can end: idle cleanup (the process ended, the session did not), a
// corral restart, and StopSession (final) followed by ResumeSession (a new
// session on the same conversation). Echo's "reply N" proves each request
// carried the whole history.
func resume(t *testing.T, cli clitest.CLI) {
	r := newRig(t, cli, mockllm.Echo(), withManager(func(o *session.Options) {
		o.IdleTimeout = time.Nanosecond // CleanupIdle below stops any idle agent
	}))
	s := r.create("")
	w := r.watch(s.ID)
	if got := text(t, w.turnEnd(r.send(s.ID, "first"))); got != "reply 1: first" {
		t.Fatalf("turn 1 text %q", got)
	}
	w.settled(session.Idle)
	agentID := mustGet(t, r, s.ID).AgentSessionID
	if agentID == "" {
		t.Fatal("no agent session id after the first turn")
	}

	// 1. The process ends while the session lives on.
	if cli.Name != "gemini" { // Gemini's process is the turn
		stopped := r.mgr().CleanupIdle()
		if len(stopped) != 1 || stopped[0] != s.ID {
			t.Fatalf("CleanupIdle stopped %v", stopped)
		}
		w.until("the agent process's exit", func(ev event.Event) bool { return ev.Kind == event.RunExited && strings.HasPrefix(ev.RunID, "p-") })
		r.wantStatus(s.ID, session.Idle)
	}
	if got := text(t, w.turnEnd(r.send(s.ID, "second"))); got != "reply 2: second" {
		t.Fatalf("after the process ended: text %q", got)
	}
	w.settled(session.Idle)

	// 2. corral restarts; ResumeSession brings the agent back.
	r.restart()
	w = r.watch(s.ID)
	r.wantStatus(s.ID, session.Idle)
	in, err := r.mgr().Resume(r.ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != s.ID || in.AgentSessionID == "" {
		t.Fatalf("resumed %+v", in)
	}
	if got := text(t, w.turnEnd(r.send(s.ID, "third"))); got != "reply 3: third" {
		t.Fatalf("after a restart: text %q", got)
	}
	w.settled(session.Idle)

	// 3. StopSession is final; ResumeSession makes a new session that
	// continues the conversation.
	if err := r.mgr().Stop(r.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	r.wantStatus(s.ID, session.Terminated)
	if _, err := r.mgr().Send(r.ctx, s.ID, "refused"); !errors.Is(err, session.ErrConflict) {
		t.Fatalf("send to a terminated session: %v", err)
	}
	s2, err := r.mgr().Resume(r.ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s2.ID == s.ID || s2.AgentSessionID == "" {
		t.Fatalf("resume of a terminated session: %+v", s2)
	}
	w2 := r.watch(s2.ID)
	if got := text(t, w2.turnEnd(r.send(s2.ID, "fourth"))); got != "reply 4: fourth" {
		t.Fatalf("after stop and resume: text %q", got)
	}
	if s2.AgentSessionID != agentID {
		// Each CLI keeps the conversation's id across its resumes.
		t.Fatalf("the resumed session has agent id %q, the first had %q", s2.AgentSessionID, agentID)
	}
	r.checkLog(s.ID, s2.ID)
}

// restartMidTurn: corral stops while a turn streams. The turn ends as
// killed with its run.exited, the session is interrupted, and after the
// restart ResumeSession brings the agent back on the same conversation.
func restartMidTurn(t *testing.T, cli clitest.CLI) {
	r := newRig(t, cli, mockllm.Echo())
	s := r.create("")
	w := r.watch(s.ID)
	if got := text(t, w.turnEnd(r.send(s.ID, "first"))); got != "reply 1: first" {
		t.Fatalf("turn 1 text %q", got)
	}
	w.settled(session.Idle)
	r.mock.SetScenario(mockllm.Slow("one two three four five six seven eight nine ten eleven twelve", 400*time.Millisecond))
	run := r.send(s.ID, "count slowly")
	w.until("the first text delta", isKind(event.AssistantText))
	r.restart()
	w = r.watch(s.ID)
	r.wantStatus(s.ID, session.Interrupted)
	r.mock.SetScenario(mockllm.Echo())
	if _, err := r.mgr().Resume(r.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	w.settled(session.Idle)
	// The interrupted turn's prompt is part of the conversation: "reply 3".
	evs := w.turnEnd(r.send(s.ID, "third"))
	if got := text(t, evs); got != "reply 3: third" {
		t.Fatalf("after the restart: text %q", got)
	}
	logs := r.checkLog(s.ID)
	if e := runEnd(t, logs[s.ID], run); e.Reason != "killed" {
		t.Fatalf("the interrupted turn ended %+v", e)
	}
}

func mustGet(t *testing.T, r *rig, id string) session.Info {
	t.Helper()
	in, err := r.mgr().Get(r.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// apiError: an HTTP error of the model API ends the turn with a typed
// error and the session in error; a later message works again.
func apiError(t *testing.T, cli clitest.CLI, status int, code string) {
	r := newRig(t, cli, mockllm.Error(status, "mock failure"))
	s := r.create("")
	w := r.watch(s.ID)
	run := r.send(s.ID, "hello")
	evs := w.turnEnd(run)
	tc := completed(t, evs)
	if tc.OK || tc.Error == nil || tc.Error.Code != code {
		t.Fatalf("turn.completed %+v (error %+v); events %s", tc, tc.Error, kinds(evs))
	}
	if tc.Error.HTTPStatus != 0 && tc.Error.HTTPStatus != status {
		t.Fatalf("HTTP status %d, want %d", tc.Error.HTTPStatus, status)
	}
	if e := runEnd(t, evs, run); e.Reason != "error" {
		t.Fatalf("run end %+v", e)
	}
	w.settled(failedStatus(code))
	r.mock.SetScenario(mockllm.Text("recovered"))
	if got := text(t, w.turnEnd(r.send(s.ID, "again"))); got != "recovered" {
		t.Fatalf("after the error: text %q", got)
	}
	w.settled(session.Idle)
	r.checkLog(s.ID)
}

// failedStatus is the status a turn that failed with code leaves: a
// rate limit is rate_limited (resumable at its reset), anything else error.
func failedStatus(code string) session.Status {
	if code == agent.CodeRateLimit || code == agent.CodeOverloaded {
		return session.RateLimited
	}
	return session.Error
}

// geminiAPIError: an HTTP error of the model API through Gemini CLI. The
// CLI retries a 5xx, and a 429 it expects to pass, for minutes with its
// defaults (5 s doubling to 30 s between up to 10 attempts; Retry-After
// is not read); it reports each retry only on stderr, which corral turns
// into agent.retry. The turn ends with the typed error and its HTTP
// status, the session's error status names the status, the turn's
// process group is gone, and a later message works again.
func geminiAPIError(t *testing.T, sc mockllm.Scenario, status int, code string, retries int, ro ...rigOption) {
	r := newRig(t, clitest.Gemini, sc, ro...)
	s := r.create("")
	w := r.watch(s.ID)
	start := time.Now()
	run := r.send(s.ID, "hello")
	evs := w.turnEnd(run)
	t.Logf("HTTP %d: the turn ended %v after SendMessage", status, time.Since(start).Round(10*time.Millisecond))
	tc := completed(t, evs)
	if tc.OK || tc.Error == nil || tc.Error.Code != code || tc.Error.HTTPStatus != status {
		t.Fatalf("turn.completed %+v (error %+v); events %s", tc, tc.Error, kinds(evs))
	}
	t.Logf("turn.completed error: %+v", *tc.Error)
	got := ofKind(evs, event.AgentRetry)
	for _, ev := range got {
		if d := data[agent.RetryData](t, ev); d.HTTPStatus != status || ev.RunID != run {
			t.Fatalf("retry %+v in run %s", d, ev.RunID)
		}
		t.Logf("agent.retry: %s", ev.Data)
	}
	if len(got) != retries {
		t.Fatalf("%d agent.retry events, want %d; events %s", len(got), retries, kinds(evs))
	}
	if e := runEnd(t, evs, run); e.Reason != "error" {
		t.Fatalf("run end %+v", e)
	}
	st := w.until("status "+string(failedStatus(code)), statusIs(failedStatus(code)))
	reason := data[store.StatusData](t, st[len(st)-1]).Reason
	if !strings.Contains(reason, fmt.Sprintf("(HTTP %d)", status)) {
		t.Fatalf("status reason %q does not name HTTP %d", reason, status)
	}
	t.Logf("session status reason: %s", reason)
	r.wantStatus(s.ID, failedStatus(code))
	// The turn's process: its pid from the supervisor's "running" state.
	var proc string
	for _, ev := range ofKind(evs, event.RunStarted) {
		if ev.RunID == run {
			proc = ev.ProcessID
		}
	}
	type procState struct {
		State string `json:"state"`
		Pid   int    `json:"pid"`
	}
	var pid int
	for _, ev := range ofKind(evs, event.ProcessState) {
		if d := data[procState](t, ev); ev.ProcessID == proc && d.State == "running" {
			pid = d.Pid
		}
	}
	if proc == "" || pid <= 0 {
		t.Fatalf("no running state of the turn's process %q: %s", proc, kinds(evs))
	}
	ctx, cancel := context.WithTimeout(r.ctx, waitDeadline)
	defer cancel()
	waitGroupGone(t, ctx, pid)

	r.mock.SetScenario(mockllm.Text("recovered"))
	if got := text(t, w.turnEnd(r.send(s.ID, "again"))); got != "recovered" {
		t.Fatalf("after the error: text %q", got)
	}
	w.settled(session.Idle)
	r.checkLog(s.ID)
}

// withGemini rewrites Gemini CLI's settings.json in the rig's HOME.
func withGemini(o clitest.GeminiOptions) rigOption {
	return func(r *rig) { clitest.GeminiEnvWith(r.t, r.home, r.mock.URL, o) }
}

// stall: the model API sends headers and one event, then nothing. The
// CLI would wait for minutes; corral's idle timeout ([limits]
// idle_timeout) ends the turn with a typed error and stops the agent, and
// the next message starts it again.
func stall(t *testing.T, cli clitest.CLI) {
	r := newRig(t, cli, mockllm.Stall(), withLimits(config.Limits{IdleTimeout: stallIdle}))
	s := r.create("")
	w := r.watch(s.ID)
	run := r.send(s.ID, "hello")
	evs := w.turnEnd(run)
	if e := runEnd(t, evs, run); e.Reason != "timeout" {
		t.Fatalf("run end %+v; events %s", e, kinds(evs))
	}
	var typed bool
	for _, ev := range ofKind(evs, event.ErrorKind) {
		if d := data[map[string]any](t, ev); d["type"] == "idle_timeout" && ev.RunID == run {
			typed = true
		}
	}
	if !typed {
		t.Fatalf("no idle_timeout error event; events %s", kinds(evs))
	}
	w.settled(session.Error)
	r.mock.SetScenario(mockllm.Text("back again"))
	var run2 string
	// The stopped agent may still be exiting (its stop grace): that is a
	// conflict the caller retries.
	for {
		var err error
		run2, err = r.mgr().Send(r.ctx, s.ID, "again")
		if err == nil {
			break
		}
		if !errors.Is(err, session.ErrConflict) || r.ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := text(t, w.turnEnd(run2)); got != "back again" {
		t.Fatalf("after the stall: text %q", got)
	}
	r.checkLog(s.ID)
}

// ---------------------------------------------------------------- per CLI

func TestClaudeText(t *testing.T)           { textTurn(t, clitest.Claude) }
func TestClaudeMultiTurn(t *testing.T)      { multiTurn(t, clitest.Claude) }
func TestClaudeApprovalAllow(t *testing.T)  { approval(t, clitest.Claude, "default", true) }
func TestClaudeApprovalDeny(t *testing.T)   { approval(t, clitest.Claude, "default", false) }
func TestClaudeInterrupt(t *testing.T)      { interrupt(t, clitest.Claude) }
func TestClaudeResume(t *testing.T)         { resume(t, clitest.Claude) }
func TestClaudeRestartMidTurn(t *testing.T) { restartMidTurn(t, clitest.Claude) }
func TestClaudeAPI500(t *testing.T)         { apiError(t, clitest.Claude, 500, agent.CodeAPI) }
func TestClaudeAPI429(t *testing.T)         { apiError(t, clitest.Claude, 429, agent.CodeRateLimit) }
func TestClaudeAPI401(t *testing.T)         { apiError(t, clitest.Claude, 401, agent.CodeAuth) }
func TestClaudeStall(t *testing.T)          { stall(t, clitest.Claude) }

func TestCodexText(t *testing.T)           { textTurn(t, clitest.Codex) }
func TestCodexMultiTurn(t *testing.T)      { multiTurn(t, clitest.Codex) }
func TestCodexApprovalAllow(t *testing.T)  { approval(t, clitest.Codex, "untrusted", true) }
func TestCodexApprovalDeny(t *testing.T)   { approval(t, clitest.Codex, "untrusted", false) }
func TestCodexInterrupt(t *testing.T)      { interrupt(t, clitest.Codex) }
func TestCodexResume(t *testing.T)         { resume(t, clitest.Codex) }
func TestCodexRestartMidTurn(t *testing.T) { restartMidTurn(t, clitest.Codex) }
func TestCodexAPI500(t *testing.T)         { apiError(t, clitest.Codex, 500, agent.CodeAPI) }
func TestCodexAPI429(t *testing.T)         { apiError(t, clitest.Codex, 429, agent.CodeRateLimit) }
func TestCodexAPI401(t *testing.T)         { apiError(t, clitest.Codex, 401, agent.CodeAuth) }
func TestCodexStall(t *testing.T)          { stall(t, clitest.Codex) }

func TestGeminiText(t *testing.T)   { textTurn(t, clitest.Gemini) }
func TestGeminiResume(t *testing.T) { resume(t, clitest.Gemini) }
func TestGeminiAPI401(t *testing.T) { apiError(t, clitest.Gemini, 401, agent.CodeAuth) }

// Gemini's headless mode cannot ask (a tool needing approval is not
// offered); approvals go through its ACP mode, in its default mode.
func TestGeminiACPApprovalAllow(t *testing.T) { approval(t, clitest.Gemini, "", true, withGeminiACP()) }
func TestGeminiACPApprovalDeny(t *testing.T)  { approval(t, clitest.Gemini, "", false, withGeminiACP()) }

// Gemini's 500 and retryable 429 run with general.maxAttempts = 2: one
// retry, then the error. A used-up daily quota needs no setting: the CLI
// gives up at the first answer.
func TestGeminiAPI500(t *testing.T) {
	geminiAPIError(t, mockllm.Error(500, "mock failure"), 500, agent.CodeAPI, 1, withGemini(clitest.GeminiOptions{MaxAttempts: 2}))
}
func TestGeminiAPI429(t *testing.T) {
	geminiAPIError(t, mockllm.Error(429, "mock failure"), 429, agent.CodeRateLimit, 1, withGemini(clitest.GeminiOptions{MaxAttempts: 2}))
}
func TestGeminiAPI429DailyQuota(t *testing.T) {
	geminiAPIError(t, mockllm.DailyQuota(), 429, agent.CodeRateLimit, 0)
}
func TestGeminiStall(t *testing.T) { stall(t, clitest.Gemini) }
