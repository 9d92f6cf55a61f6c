package schedule

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitDeadline bounds every wait for something to happen (hang
// protection, not a speed assertion).
const waitDeadline = 30 * time.Second

// fakeClock is a Clock whose time moves only with Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    chan time.Time
	at   time.Time
	done bool
	clk  *fakeClock
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{c: make(chan time.Time, 1), at: f.now.Add(d), clk: f}
	if d <= 0 {
		t.c <- f.now
		t.done = true
	} else {
		f.timers = append(f.timers, t)
	}
	return t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	for _, t := range f.timers {
		if !t.done && !t.at.After(f.now) {
			t.c <- f.now
			t.done = true
		}
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// fakeSessions records the turns the scheduler starts.
type fakeSessions struct {
	mu      sync.Mutex
	status  map[string]session.Status
	sent    []string // "session: text"
	created []session.CreateOptions
	n       int
	// onSend, when set, runs after Send has recorded its turn (without
	// the lock): what happens while the scheduler waits for Send.
	onSend func(id string)
}

func (f *fakeSessions) Create(_ context.Context, o session.CreateOptions) (session.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.created = append(f.created, o)
	return session.Info{ID: fmt.Sprintf("new-%d", f.n), RunID: fmt.Sprintf("run-new-%d", f.n)}, nil
}

func (f *fakeSessions) Send(_ context.Context, id, text string) (string, error) {
	f.mu.Lock()
	f.n++
	f.sent = append(f.sent, id+": "+text)
	f.status[id] = session.Processing
	run, hook := fmt.Sprintf("run-%d", f.n), f.onSend
	f.mu.Unlock()
	if hook != nil {
		hook(id)
	}
	return run, nil
}

func (f *fakeSessions) Get(_ context.Context, id string) (session.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.status[id]
	if !ok {
		return session.Info{}, session.ErrNotFound
	}
	return session.Info{ID: id, Status: st}, nil
}

func (f *fakeSessions) calls() ([]string, []session.CreateOptions) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...), append([]session.CreateOptions(nil), f.created...)
}

// env is a store and bus in a temporary directory, a fake clock and
// fake sessions, and a scheduler over them that can be restarted.
type env struct {
	t     *testing.T
	dir   string
	st    *store.Store
	bus   *bus.Bus
	clk   *fakeClock
	sess  *fakeSessions
	sched *Scheduler
	auto  bool
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, dir: t.TempDir(), clk: &fakeClock{now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
		sess: &fakeSessions{status: map[string]session.Status{}}}
	e.openStore()
	t.Cleanup(e.close)
	return e
}

func (e *env) openStore() {
	var b *bus.Bus
	st, err := store.Open(e.dir, store.Options{Publish: func(batch []event.Event) { b.Publish(batch) }})
	if err != nil {
		e.t.Fatal(err)
	}
	b = bus.New(st, bus.Options{})
	e.st, e.bus = st, b
}

func (e *env) start() {
	e.t.Helper()
	s, err := Start(context.Background(), Options{Store: e.st, Bus: e.bus, Sessions: e.sess, Clock: e.clk,
		AutoResume: func() bool { return e.auto }, Location: time.UTC})
	if err != nil {
		e.t.Fatal(err)
	}
	e.sched = s
}

func (e *env) close() {
	if e.sched != nil {
		e.sched.Close()
		e.sched = nil
	}
	if e.st != nil {
		e.bus.Close()
		e.st.Close()
		e.st = nil
	}
}

// restart is corral stopping and starting again on the same data.
func (e *env) restart() {
	e.close()
	e.openStore()
	e.start()
}

// eventually polls cond until it holds.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(waitDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) schedule(id string) Schedule {
	e.t.Helper()
	list, err := e.sched.ListSchedules()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, in := range list {
		if in.ID == id {
			return in
		}
	}
	e.t.Fatalf("no schedule %s in %+v", id, list)
	return Schedule{}
}

// limitTurn appends what a turn that hit a limit leaves in the store:
// run.started with its prompt, turn.completed with the error, and the
// session.status the session layer writes.
func (e *env) limitTurn(id, prompt string, te agent.TurnError) {
	e.t.Helper()
	e.sess.mu.Lock()
	e.sess.status[id] = session.RateLimited
	e.sess.mu.Unlock()
	mk := func(kind string, data any) event.Event {
		ev := event.New(kind, data)
		ev.SessionID, ev.RunID, ev.Time = id, "run-"+prompt, e.clk.Now()
		return ev
	}
	if err := e.st.Append(
		mk(event.RunStarted, map[string]any{"prompt": prompt}),
		mk(event.TurnCompleted, agent.TurnCompletedData{Error: &te}),
		mk(event.SessionStatus, store.StatusData{Status: string(session.RateLimited), From: "processing"}),
	); err != nil {
		e.t.Fatal(err)
	}
}

// TestScheduleAtAndCron: a one-off runs at its time in a new session,
// once; a cron schedule in a session runs at each activation; a paused
// one does not; the runs are recorded on the schedules.
func TestScheduleAtAndCron(t *testing.T) {
	e := newEnv(t)
	e.start()
	at := e.clk.Now().Add(2 * time.Second)
	one, err := e.sched.CreateSchedule(CreateScheduleParams{At: at, Prompt: "once", Agent: "claude", Cwd: "/w", Name: "one"})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := e.sched.CreateSchedule(CreateScheduleParams{Cron: "*/5 * * * *", Prompt: "tick", SessionID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if !cr.NextRunAt.Equal(e.clk.Now().Add(5*time.Minute)) || one.Missed != MissedRun {
		t.Fatalf("created %+v %+v", one, cr)
	}
	e.clk.Advance(time.Second)
	if _, err := e.sched.ListSchedules(); err != nil { // a round trip through the loop
		t.Fatal(err)
	}
	if sent, created := e.sess.calls(); len(sent)+len(created) != 0 {
		t.Fatalf("ran early: %v %v", sent, created)
	}
	e.clk.Advance(time.Second)
	e.eventually("the one-off run", func() bool { return e.schedule(one.ID).LastRunID != "" })
	in := e.schedule(one.ID)
	if in.LastResult != "ok" || in.LastSessionID != "new-1" || in.LastRunID != "run-new-1" || !in.NextRunAt.IsZero() || !in.LastRunAt.Equal(at) {
		t.Fatalf("after the run: %+v", in)
	}
	if _, created := e.sess.calls(); len(created) != 1 || created[0].Prompt != "once" || created[0].Agent != "claude" || created[0].Cwd != "/w" {
		t.Fatalf("created %+v", created)
	}
	e.clk.Advance(5 * time.Minute)
	e.eventually("the first cron run", func() bool { return e.schedule(cr.ID).LastRunID != "" })
	if in := e.schedule(cr.ID); !in.NextRunAt.Equal(time.Date(2026, 12, 6, 10, 10, 0, 0, time.UTC)) {
		t.Fatalf("next after the cron run: %+v", in)
	}
	if _, err := e.sched.PauseSchedule(cr.ID, true); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(10 * time.Minute)
	if _, err := e.sched.ListSchedules(); err != nil {
		t.Fatal(err)
	}
	if sent, _ := e.sess.calls(); len(sent) != 1 || sent[0] != "s1: tick" {
		t.Fatalf("sent %v", sent)
	}
	in, err = e.sched.PauseSchedule(cr.ID, false)
	if err != nil || !in.NextRunAt.Equal(time.Date(2026, 12, 6, 10, 20, 0, 0, time.UTC)) {
		t.Fatalf("unpaused %+v %v", in, err)
	}
	if err := e.sched.DeleteSchedule(cr.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.sched.DeleteSchedule(cr.ID); err == nil {
		t.Fatal("second delete worked")
	}
	if _, err := e.sched.CreateSchedule(CreateScheduleParams{Prompt: "p", SessionID: "s1"}); err == nil {
		t.Fatal("a schedule without at or cron was created")
	}
}

// TestScheduleMissedRuns: runs that fell due while corral was down run
// once at start-up or are skipped, as configured, and say which.
func TestScheduleMissedRuns(t *testing.T) {
	e := newEnv(t)
	e.start()
	at := e.clk.Now().Add(time.Minute)
	run, err := e.sched.CreateSchedule(CreateScheduleParams{At: at, Prompt: "catch up", SessionID: "s1", Missed: MissedRun})
	if err != nil {
		t.Fatal(err)
	}
	skip, err := e.sched.CreateSchedule(CreateScheduleParams{Cron: "0 * * * *", Prompt: "hourly", SessionID: "s2", Missed: MissedSkip})
	if err != nil {
		t.Fatal(err)
	}
	e.close()
	e.clk.Advance(3 * time.Hour) // corral is down
	e.openStore()
	e.start()
	e.eventually("the missed runs", func() bool {
		return !e.schedule(run.ID).LastRunAt.IsZero() && !e.schedule(skip.ID).LastRunAt.IsZero()
	})
	if in := e.schedule(run.ID); in.LastResult != "missed: ran at start-up; ok" || in.LastRunID == "" || !in.NextRunAt.IsZero() {
		t.Fatalf("missed run: %+v", in)
	}
	in := e.schedule(skip.ID)
	if !strings.HasPrefix(in.LastResult, "missed: skipped") || in.LastRunID != "" || !in.NextRunAt.Equal(time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)) {
		t.Fatalf("skipped run: %+v", in)
	}
	if sent, _ := e.sess.calls(); len(sent) != 1 || sent[0] != "s1: catch up" {
		t.Fatalf("sent %v", sent)
	}
	evs, err := e.st.Events("", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, ev := range evs {
		if ev.Kind == event.ScheduleRun {
			runs = append(runs, string(ev.Data))
		}
	}
	if len(runs) != 2 || !strings.Contains(strings.Join(runs, " "), `"skipped":true`) {
		t.Fatalf("schedule.run events %v", runs)
	}
}

// TestRateLimitAutoResume: a session that becomes rate_limited gets its
// reset time from the agent's message; with auto-resume on, the turn's
// prompt is sent again at the reset and not before.
func TestRateLimitAutoResume(t *testing.T) {
	e := newEnv(t)
	e.auto = true
	e.start()
	reset := e.clk.Now().Add(90 * time.Second)
	e.limitTurn("s1", "build it", agent.TurnError{Code: agent.CodeAgent,
		Message: fmt.Sprintf("Claude AI usage limit reached|%d", reset.Unix())})
	e.eventually("the limit", func() bool { l, ok := e.sched.Limit("s1"); return ok && !l.ResetAt.IsZero() })
	l, _ := e.sched.Limit("s1")
	if !l.ResetAt.Equal(reset) || !l.Armed || !l.AutoResume || l.Kind != agent.LimitUsage {
		t.Fatalf("limit %+v", l)
	}
	e.clk.Advance(89 * time.Second)
	if _, err := e.sched.ListSchedules(); err != nil {
		t.Fatal(err)
	}
	if sent, _ := e.sess.calls(); len(sent) != 0 {
		t.Fatalf("resumed early: %v", sent)
	}
	e.clk.Advance(time.Second)
	e.eventually("the resume", func() bool { l, _ := e.sched.Limit("s1"); return l.ResetAt.IsZero() })
	if sent, _ := e.sess.calls(); len(sent) != 1 || sent[0] != "s1: build it" {
		t.Fatalf("sent %v", sent)
	}
	evs, _ := e.st.Events("s1", 0, 100)
	if k := evs[len(evs)-1].Kind; k != event.SessionResumed {
		t.Fatalf("last event %s", k)
	}
}

// TestRateLimitManualResumeAndCancel: without auto-resume nothing is
// armed; SetAutoResume arms, CancelResume disarms, ResumeNow resumes at
// once; a 429 without a reset time waits the default.
func TestRateLimitManualResumeAndCancel(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.limitTurn("s1", "again", agent.TurnError{Code: agent.CodeRateLimit, HTTPStatus: 429, Message: "slow down"})
	e.eventually("the limit", func() bool { l, ok := e.sched.Limit("s1"); return ok && !l.ResetAt.IsZero() })
	l, _ := e.sched.Limit("s1")
	if l.Armed || l.AutoResume || !l.ResetAt.Equal(e.clk.Now().Add(agent.DefaultRateLimitWait)) || l.HTTPStatus != 429 {
		t.Fatalf("limit %+v", l)
	}
	if l, err := e.sched.SetAutoResume("s1", true); err != nil || !l.Armed {
		t.Fatalf("SetAutoResume: %+v %v", l, err)
	}
	if l, err := e.sched.CancelResume("s1"); err != nil || l.Armed || !l.AutoResume {
		t.Fatalf("CancelResume: %+v %v", l, err)
	}
	if _, err := e.sched.CancelResume("s1"); err == nil {
		t.Fatal("a second cancel worked")
	}
	e.clk.Advance(agent.DefaultRateLimitWait)
	if _, err := e.sched.ListSchedules(); err != nil {
		t.Fatal(err)
	}
	if sent, _ := e.sess.calls(); len(sent) != 0 {
		t.Fatalf("resumed although cancelled: %v", sent)
	}
	if _, err := e.sched.ResumeNow("s1"); err != nil {
		t.Fatal(err)
	}
	e.eventually("the resume", func() bool { l, _ := e.sched.Limit("s1"); return l.ResetAt.IsZero() })
	if sent, _ := e.sess.calls(); len(sent) != 1 || sent[0] != "s1: again" {
		t.Fatalf("sent %v", sent)
	}
	if _, err := e.sched.ResumeNow("s1"); err == nil {
		t.Fatal("ResumeNow of a session no longer limited worked")
	}
}

// TestRateLimitTimerSurvivesRestart: an armed resume timer is durable; a
// timer due while corral was down fires at start-up, a later one is
// armed again and fires at its time.
func TestRateLimitTimerSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.auto = true
	e.start()
	e.limitTurn("past", "p1", agent.TurnError{Code: agent.CodeRateLimit, HTTPStatus: 429, Message: "Please retry in 60s."})
	e.limitTurn("future", "p2", agent.TurnError{Code: agent.CodeRateLimit, HTTPStatus: 429, Message: "try again in 2 hours"})
	e.eventually("both limits", func() bool {
		a, _ := e.sched.Limit("past")
		b, _ := e.sched.Limit("future")
		return a.Armed && b.Armed
	})
	e.close()
	e.clk.Advance(time.Hour) // corral is down past the first reset
	e.auto = false           // the configuration changed: armed timers stay armed
	e.openStore()
	e.start()
	e.eventually("the past-due resume", func() bool { l, _ := e.sched.Limit("past"); return l.ResetAt.IsZero() })
	if l, _ := e.sched.Limit("future"); !l.Armed {
		t.Fatalf("future limit %+v", l)
	}
	if sent, _ := e.sess.calls(); len(sent) != 1 || sent[0] != "past: p1" {
		t.Fatalf("sent %v", sent)
	}
	e.restart()
	e.clk.Advance(time.Hour)
	e.eventually("the future resume", func() bool { l, _ := e.sched.Limit("future"); return l.ResetAt.IsZero() })
	if sent, _ := e.sess.calls(); len(sent) != 2 || sent[1] != "future: p2" {
		t.Fatalf("sent %v", sent)
	}
}

// TestSchedulePastAtRunsAtOnce: a one-off time already past when the
// schedule is created runs at once, even with missed "skip" (it was not
// missed while corral was down).
func TestSchedulePastAtRunsAtOnce(t *testing.T) {
	e := newEnv(t)
	e.start()
	e.clk.Advance(time.Hour)                // corral has been up a while
	past := e.clk.Now().Add(-2 * time.Hour) // before the scheduler started, too
	sc, err := e.sched.CreateSchedule(CreateScheduleParams{At: past, Prompt: "now", SessionID: "s1", Missed: MissedSkip})
	if err != nil {
		t.Fatal(err)
	}
	e.eventually("the run", func() bool { return e.schedule(sc.ID).LastRunID != "" })
	if in := e.schedule(sc.ID); in.LastResult != "ok" {
		t.Fatalf("after the run: %+v", in)
	}
}

// TestRateLimitOfDeletedSession: a resume whose session is gone forgets
// the limit, durably, and appends nothing to the gone session's stream.
func TestRateLimitOfDeletedSession(t *testing.T) {
	e := newEnv(t)
	e.auto = true
	e.start()
	e.limitTurn("gone", "p", agent.TurnError{Code: agent.CodeRateLimit, HTTPStatus: 429, Message: "Please retry in 10s."})
	e.eventually("the limit", func() bool { l, _ := e.sched.Limit("gone"); return l.Armed })
	before, _ := e.st.Events("gone", 0, 100)
	e.sess.mu.Lock()
	delete(e.sess.status, "gone")
	e.sess.mu.Unlock()
	e.clk.Advance(10 * time.Second)
	e.eventually("the limit to be forgotten", func() bool { _, ok := e.sched.Limit("gone"); return !ok })
	if after, _ := e.st.Events("gone", 0, 100); len(after) != len(before) {
		t.Fatalf("events appended for a deleted session: %d then %d", len(before), len(after))
	}
	if ls, _ := e.st.SessionLimits(context.Background()); len(ls) != 0 {
		t.Fatalf("limit rows left: %+v", ls)
	}
}

// TestRateLimitFromStatusReasonAlone: a session that turned rate_limited
// without the scheduler having seen its turn (it started later) takes its
// reset from the status's reason.
func TestRateLimitFromStatusReasonAlone(t *testing.T) {
	e := newEnv(t)
	e.start()
	reset := e.clk.Now().Add(time.Hour).Truncate(time.Second)
	ev := event.New(event.SessionStatus, store.StatusData{Status: string(session.RateLimited), From: "processing",
		Reason: fmt.Sprintf("agent turn failed: rate_limited (HTTP 429): Claude AI usage limit reached|%d", reset.Unix())})
	ev.SessionID, ev.Time = "s9", e.clk.Now()
	if err := e.st.Append(ev); err != nil {
		t.Fatal(err)
	}
	e.eventually("the limit", func() bool { l, ok := e.sched.Limit("s9"); return ok && !l.ResetAt.IsZero() })
	if l, _ := e.sched.Limit("s9"); !l.ResetAt.Equal(reset) {
		t.Fatalf("limit %+v, want the reset %v", l, reset)
	}
}
