package sessioncontract

import (
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/schedule"
	"github.com/corral-dev/corral/session"
)

// TestClaudeRateLimitAutoResume: the real Claude Code against the mock's
// Err429 scenario (HTTP 429 with the usage-limit message naming a reset
// 2 s ahead): the turn ends with the session rate_limited, its resetAt
// is the reset the API named, and with [sessions] auto_resume_on_limit
// the scheduler sends the turn's prompt again at the reset; that turn
// completes by itself with the mock's reply after the reset.
func TestClaudeRateLimitAutoResume(t *testing.T) {
	r := newRig(t, clitest.Claude, mockllm.Err429(2*time.Second, mockllm.Text("done after the reset")),
		func(r *rig) { r.cfg.Sessions.AutoResumeOnLimit = true })
	sched, err := schedule.StartRuntime(r.ctx, r.rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sched.Close()
	s := r.create("")
	w := r.watch(s.ID)
	run := r.send(s.ID, "hello limit")
	evs := w.turnEnd(run)
	tc := completed(t, evs)
	if tc.OK || tc.Error == nil {
		t.Fatalf("turn.completed %+v", tc)
	}
	t.Logf("the CLI's turn error: %+v (result %q)", *tc.Error, tc.Result)
	w.until("status rate_limited", statusIs(session.RateLimited))
	lim := w.until("session.rate_limited", isKind(event.SessionRateLimited))
	l := data[schedule.LimitInfo](t, lim[len(lim)-1])
	if l.ResetAt.IsZero() || !l.Armed || !l.AutoResume {
		t.Fatalf("limit %+v", l)
	}
	if !strings.Contains(tc.Error.Message+tc.Result, "usage limit reached|") {
		// The CLI rewords the API's message: the reset must still be
		// the one the API named, not the default wait.
		t.Logf("the CLI reworded the limit: %q", tc.Error.Message)
	}
	if until := time.Until(l.ResetAt); until > time.Minute {
		t.Fatalf("resetAt %v is not the reset the API named (in %v)", l.ResetAt, until)
	}
	in, err := r.mgr().Get(r.ctx, s.ID)
	if err != nil || in.Status != session.RateLimited {
		t.Fatalf("GetSession %+v %v", in, err)
	}
	res := w.until("session.resumed", isKind(event.SessionResumed))
	type resumedData struct {
		By    string `json:"by"`
		RunID string `json:"runId"`
	}
	resumed := data[resumedData](t, res[len(res)-1])
	if resumed.By != "timer" || resumed.RunID == "" {
		t.Fatalf("resumed %+v", resumed)
	}
	if time.Now().Before(l.ResetAt) {
		t.Fatalf("resumed before the reset %v", l.ResetAt)
	}
	evs = w.turnEnd(resumed.RunID)
	if got := text(t, evs); got != "done after the reset" {
		t.Fatalf("the resumed turn's text %q; events %s", got, kinds(evs))
	}
	var prompt string
	// The resumed run started before the scheduler recorded it.
	for _, ev := range ofKind(append(res, evs...), event.RunStarted) {
		if ev.RunID == resumed.RunID {
			prompt = data[struct {
				Prompt string `json:"prompt"`
			}](t, ev).Prompt
		}
	}
	if prompt != "hello limit" {
		t.Fatalf("the resume sent %q", prompt)
	}
	w.settled(session.Idle)
	r.checkLog(s.ID)
}

// TestClaudeScheduleRun: a schedule 'at' two seconds ahead, for a new
// session of the real Claude Code, runs once at its time: a session is
// created with the prompt, its turn completes, and the schedule records
// the run.
func TestClaudeScheduleRun(t *testing.T) {
	r := newRig(t, clitest.Claude, mockllm.Echo())
	sched, err := schedule.StartRuntime(r.ctx, r.rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sched.Close()
	at := time.Now().Add(2 * time.Second)
	sc, err := sched.CreateSchedule(schedule.CreateScheduleParams{At: at, Prompt: "scheduled hello", Agent: r.agent, Cwd: r.cwd, Name: "soon"})
	if err != nil {
		t.Fatal(err)
	}
	var got schedule.Schedule
	deadline := time.Now().Add(waitDeadline)
	for got.LastRunID == "" {
		if time.Now().After(deadline) {
			t.Fatalf("the schedule did not run: %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
		list, err := sched.ListSchedules()
		if err != nil || len(list) != 1 || list[0].ID != sc.ID {
			t.Fatalf("ListSchedules %+v %v", list, err)
		}
		got = list[0]
	}
	if got.LastResult != "ok" || got.LastSessionID == "" || !got.NextRunAt.IsZero() || got.LastRunAt.Before(at) {
		t.Fatalf("after the run: %+v", got)
	}
	w := r.watch(got.LastSessionID)
	if txt := text(t, w.turnEnd(got.LastRunID)); txt != "reply 1: scheduled hello" {
		t.Fatalf("the scheduled turn's text %q", txt)
	}
	w.settled(session.Idle)
	r.checkLog(got.LastSessionID)
}

// TestClaudeRateLimitResumeSurvivesRestart: the resume timer of a
// rate-limited session is durable: corral stops before the reset and
// starts again, and the session still resumes by itself (at start-up if
// the reset passed meanwhile, else at the reset), in a new agent process
// resuming the conversation.
func TestClaudeRateLimitResumeSurvivesRestart(t *testing.T) {
	r := newRig(t, clitest.Claude, mockllm.Err429(6*time.Second, mockllm.Echo()),
		func(r *rig) { r.cfg.Sessions.AutoResumeOnLimit = true })
	if _, err := schedule.StartRuntime(r.ctx, r.rt, nil); err != nil {
		t.Fatal(err)
	}
	s := r.create("")
	w := r.watch(s.ID)
	w.turnEnd(r.send(s.ID, "limited then resumed"))
	lim := w.until("session.rate_limited", isKind(event.SessionRateLimited))
	if l := data[schedule.LimitInfo](t, lim[len(lim)-1]); !l.Armed {
		t.Fatalf("limit %+v", l)
	}
	r.restart() // closes the scheduler with the runtime
	sched, err := schedule.StartRuntime(r.ctx, r.rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := sched.Limit(s.ID); !ok || !l.Armed || l.ResetAt.IsZero() {
		t.Fatalf("after the restart the limit is %+v %v", l, ok)
	}
	w = r.watch(s.ID)
	res := w.until("session.resumed", isKind(event.SessionResumed))
	run := data[struct {
		RunID string `json:"runId"`
	}](t, res[len(res)-1]).RunID
	if got := text(t, w.turnEnd(run)); !strings.HasSuffix(got, "limited then resumed") {
		t.Fatalf("the resumed turn's text %q", got)
	}
	w.settled(session.Idle)
}
