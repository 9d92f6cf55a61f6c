package session

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/policy"
)

func TestIdleToStop(t *testing.T) {
	now := time.Unix(1000, 0)
	at := func(ago time.Duration) int64 { return now.Add(-ago).UnixNano() }
	agents := []idleAgent{
		{id: "busy-old", idle: false, lastActivity: at(time.Hour)},
		{id: "a", idle: true, lastActivity: at(10 * time.Second)},
		{id: "b", idle: true, lastActivity: at(20 * time.Second)},
		{id: "c", idle: true, lastActivity: at(30 * time.Second)},
		{id: "old", idle: true, lastActivity: at(6 * time.Minute)},
	}
	for _, tc := range []struct {
		timeout time.Duration
		max     int
		want    []string
	}{
		{5 * time.Minute, -1, []string{"old"}},
		{5 * time.Minute, 2, []string{"old", "c"}},
		{-1, 2, []string{"old", "c"}},
		{-1, -1, nil},
		{-1, 4, nil},
		{15 * time.Second, 10, []string{"old", "c", "b"}},
		{time.Hour, 1, []string{"old", "c", "b"}},
	} {
		got := idleToStop(agents, now, tc.timeout, tc.max)
		if !slices.Equal(got, tc.want) {
			t.Errorf("timeout %v max %d: %v, want %v", tc.timeout, tc.max, got, tc.want)
		}
	}
}

// capRT opens a runtime with the fake agent, the given idle settings in the
// configuration's [sessions], an injected clock and no stats sampling.
func capRT(t *testing.T, clock *testClock, s config.Sessions, monitor time.Duration) *Runtime {
	t.Helper()
	cfg := fakeConfig(t)
	cfg.Sessions = s
	o := RuntimeOptions{MonitorInterval: monitor}
	o.Manager.Now = clock.Now
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// One turn in a new session; returns its id once the session is idle.
func idleSession(t *testing.T, rt *Runtime) string {
	t.Helper()
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	if _, err := rt.Manager.Send(ctx, info.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))
	return info.ID
}

func liveAgents(t *testing.T, rt *Runtime) map[string]bool {
	t.Helper()
	l, err := rt.Manager.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, s := range l {
		if s.Process != nil {
			out[s.ID] = true
		}
	}
	return out
}

// With max_idle_agents = 2, a third idle agent stops the least recently
// used one; the list shows which sessions hold a process (and its memory),
// and the stopped session resumes on its next message.
func TestMaxIdleAgentsStopsTheLeastRecentlyUsed(t *testing.T) {
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := capRT(t, clock, config.Sessions{IdleTimeout: time.Hour, MaxIdleAgents: 2}, -1)
	defer closeRT(t, rt)
	var ids []string
	for range 3 {
		ids = append(ids, idleSession(t, rt))
		clock.add(time.Second)
	}
	if got := liveAgents(t, rt); len(got) != 3 {
		t.Fatalf("live agents before cleanup: %v", got)
	}
	w := watch(t, rt, ids[0], 0)
	stopped := rt.Manager.CleanupIdle()
	if !slices.Equal(stopped, []string{ids[0]}) {
		t.Fatalf("stopped %v, want the oldest %s", stopped, ids[0])
	}
	w.until(func(e event.Event) bool { return e.Kind == event.RunExited && strings.HasPrefix(e.RunID, "p-") })
	clock.add(time.Second) // past the list cache
	if got := liveAgents(t, rt); got[ids[0]] || !got[ids[1]] || !got[ids[2]] {
		t.Fatalf("live agents after cleanup: %v", got)
	}
	// The next message resumes the stopped agent transparently.
	if _, err := rt.Manager.Send(context.Background(), ids[0], "again"); err != nil {
		t.Fatal(err)
	}
	w.until(status(Idle))
}

// The idle timeout comes from [sessions] idle_timeout, and defaults to
// five minutes.
func TestIdleTimeoutFromConfigAndDefault(t *testing.T) {
	for _, tc := range []struct {
		s     config.Sessions
		after time.Duration
	}{
		{config.Sessions{}, config.DefaultIdleTimeout},
		{config.Sessions{IdleTimeout: 90 * time.Second}, 90 * time.Second},
	} {
		clock := &testClock{now: time.Unix(1_800_000_000, 0)}
		rt := capRT(t, clock, tc.s, -1)
		id := idleSession(t, rt)
		clock.add(tc.after - time.Second)
		if s := rt.Manager.CleanupIdle(); len(s) != 0 {
			t.Fatalf("%+v: stopped %v before the timeout", tc.s, s)
		}
		clock.add(time.Second)
		if s := rt.Manager.CleanupIdle(); !slices.Equal(s, []string{id}) {
			t.Fatalf("%+v: stopped %v at the timeout", tc.s, s)
		}
		closeRT(t, rt)
	}
}

// Resource samples are a series of their own: after many samples of a
// live agent, the session's log holds none, GetProcessStats-style reads
// return them, and the list shows the agent's memory.
func TestProcessStatsStayOutOfTheLog(t *testing.T) {
	clock := &testClock{now: time.Unix(1_800_000_000, 0)}
	rt := capRT(t, clock, config.Sessions{}, 10*time.Millisecond)
	defer closeRT(t, rt)
	id := idleSession(t, rt)
	deadline := time.Now().Add(60 * time.Second)
	var series []StatSeries
	for {
		series = rt.Manager.ProcessStats("", id, time.Time{})
		if len(series) == 1 && len(series[0].Samples) >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no samples: %+v", series)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := series[0]; s.SessionID != id || s.ProcessID == "" || s.Samples[len(s.Samples)-1].RSS == 0 {
		t.Fatalf("series %+v", s)
	}
	if got := rt.Manager.ProcessStats(series[0].ProcessID, "", time.Time{}); len(got) != 1 {
		t.Fatalf("by process: %+v", got)
	}
	if got := rt.Manager.ProcessStats("p-none", "", time.Time{}); len(got) != 0 {
		t.Fatalf("unknown process: %+v", got)
	}
	if err := rt.Store.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := rt.Store.Events(id, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(evs, event.ProcessStats); n != 0 {
		t.Fatalf("%d process.stats events stored in the session's log", n)
	}
	clock.add(time.Second)
	l, _ := rt.Manager.List(context.Background())
	if len(l) != 1 || l[0].Process == nil || l[0].Process.RSS == 0 || l[0].Process.Pid == 0 {
		t.Fatalf("list %+v", l)
	}
	if l[0].EventCount != int64(len(evs)) {
		t.Fatalf("list eventCount %d, stored %d", l[0].EventCount, len(evs))
	}
}

func TestStatsRingIsBounded(t *testing.T) {
	var st statsRing
	base := time.Unix(1_800_000_000, 0)
	for i := range StatSamplesPerProcess + 50 {
		ev := event.New(event.ProcessStats, map[string]any{"cpuPercent": float64(i), "rss": i})
		ev.ProcessID, ev.SessionID, ev.Time = "p-1", "s-1", base.Add(time.Duration(i)*time.Second)
		st.record(ev)
	}
	s := st.get("p-1", "", time.Time{})[0].Samples
	if len(s) != StatSamplesPerProcess || s[0].CPUPercent != 50 || s[len(s)-1].CPUPercent != StatSamplesPerProcess+49 {
		t.Fatalf("%d samples, first %v last %v", len(s), s[0], s[len(s)-1])
	}
	since := st.get("", "s-1", base.Add(time.Duration(StatSamplesPerProcess+47)*time.Second))[0].Samples
	if len(since) != 2 {
		t.Fatalf("since: %v", since)
	}
	for i := range StatEndedProcesses + 5 {
		ev := event.New(event.ProcessStats, map[string]any{"rss": 1})
		ev.ProcessID, ev.Time = "q-"+string(rune('a'+i)), base
		st.record(ev)
		st.end(ev.ProcessID, ev.Time)
	}
	if n := len(st.get("", "", time.Time{})); n != StatEndedProcesses+1 {
		t.Fatalf("%d series kept", n)
	}
}

// An agent that reports its credentials missing ends the turn with an
// agent_auth error saying what to do, and the session's status says it.
func TestAuthFailureIsAgentAuth(t *testing.T) {
	cfg := fakeConfig(t)
	a := cfg.Agents["fake"]
	a.Protocol = "claude"
	cfg.Agents["fake"] = a
	rt, err := OpenRuntime(context.Background(), t.TempDir(), cfg, RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	run, err := rt.Manager.Send(ctx, info.ID, "autherr")
	if err != nil {
		t.Fatal(err)
	}
	evs := w.until(status(Error))
	var msg string
	for _, ev := range evs {
		var d struct{ Type, Message string }
		if ev.Kind == event.ErrorKind && ev.RunID == run && json.Unmarshal(ev.Data, &d) == nil && d.Type == ErrorAgentAuth {
			msg = d.Message
		}
	}
	if !strings.Contains(msg, "export ANTHROPIC_API_KEY") || !strings.Contains(msg, "claude /login") {
		t.Fatalf("agent_auth message %q in %v", msg, kindsOf(evs))
	}
	if got, _ := rt.Manager.Get(ctx, info.ID); got.Status != Error {
		t.Fatalf("status %v", got.Status)
	}
}

// The fake agent reports a running total like Claude Code; the session's
// cost is the sum of the turns, not of the running totals.
func TestSessionCostIsTheCLIsTotal(t *testing.T) {
	rt, err := OpenRuntime(context.Background(), t.TempDir(), fakeConfig(t), RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	info, err := rt.Manager.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, rt, info.ID, 0)
	var turns []float64
	for i := range 3 {
		run, err := rt.Manager.Send(ctx, info.ID, "turn "+string(rune('1'+i)))
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range w.until(func(e event.Event) bool { return e.Kind == event.RunExited && e.RunID == run }) {
			if ev.Kind == event.Usage {
				var d struct{ CostUSD float64 }
				json.Unmarshal(ev.Data, &d)
				turns = append(turns, d.CostUSD)
			}
		}
	}
	got, _ := rt.Manager.Get(ctx, info.ID)
	if len(turns) != 3 || math.Abs(got.CostUSD-3*fakeagent.TurnCostUSD) > 1e-9 {
		t.Fatalf("turn costs %v, session %v; the CLI's total is %v", turns, got.CostUSD, 3*fakeagent.TurnCostUSD)
	}
	for _, c := range turns {
		if math.Abs(c-fakeagent.TurnCostUSD) > 1e-9 {
			t.Fatalf("turn costs %v", turns)
		}
	}
}

// Agents get the variables their CLI documents for credentials by
// default; default_env = false turns that off; nothing else of corral's
// environment reaches them.
func TestAgentGetsItsCredentialVariables(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "sk-test-key")
	t.Setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
	t.Setenv("CORRAL_UNRELATED_SECRET", "x")
	m := &Manager{}
	m.settings.set(settings{agents: map[string]config.Agent{"off": {Command: "claude", Protocol: "claude", NoDefaultEnv: true}}})
	on, _ := m.agentConfig("claude")
	off, _ := m.agentConfig("off")
	envOn := policy.AgentEnv(on, os.Environ())
	envOff := policy.AgentEnv(off, os.Environ())
	if !slices.Contains(envOn, "ANTHROPIC_API_KEY=sk-test-key") || !slices.Contains(envOn, "HTTPS_PROXY=http://proxy.invalid:3128") {
		t.Fatalf("default env: %v", envOn)
	}
	for _, kv := range append(envOn, envOff...) {
		if strings.HasPrefix(kv, "CORRAL_UNRELATED_SECRET=") {
			t.Fatalf("unrelated variable passed: %v", kv)
		}
	}
	if slices.ContainsFunc(envOff, func(kv string) bool { return strings.HasPrefix(kv, "ANTHROPIC_API_KEY=") }) {
		t.Fatalf("default_env = false still passes the key: %v", envOff)
	}
}
