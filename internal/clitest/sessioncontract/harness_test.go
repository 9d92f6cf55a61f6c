package sessioncontract

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Hang protection, not speed assertions: every test has testDeadline, and
// every wait for an event has its own waitDeadline inside it.
const (
	testDeadline = 4 * time.Minute
	waitDeadline = 90 * time.Second
	// stallIdle is corral's [limits] idle_timeout in the stall tests: the
	// CLIs wait minutes on a silent stream themselves. It must exceed a
	// CLI's silent start-up on a loaded machine (Gemini's Node start, a
	// new process per turn, took over 4 s with other tests running).
	stallIdle = 15 * time.Second
)

// rig is one test's corral: a runtime on a temporary data directory with
// one agent configured to talk to a mock model API.
type rig struct {
	t   testing.TB
	ctx context.Context // the test's deadline
	cli clitest.CLI
	// agent is the configured agent the rig's sessions use: cli.Name
	// unless an option configured another (withGeminiACP).
	agent string
	mock  *mockllm.Server
	home  string
	cwd   string
	data  string
	cfg   *config.Config
	opts  session.RuntimeOptions
	rt    *session.Runtime
	// seen is the highest seq read per session, so that a watcher made
	// after a restart (which replays from the store) reads only new events.
	seen map[string]int64
	subs []*bus.Subscription
}

// rigOption adjusts a rig before its runtime opens.
type rigOption func(*rig)

// withLimits sets corral's [limits] table (agents use its defaults).
func withLimits(l config.Limits) rigOption { return func(r *rig) { r.cfg.Limits = l } }

// withGeminiACP configures Gemini CLI a second time, as the ACP agent
// "gemini-acp" (`gemini --acp`, protocol acp), and makes the rig's
// sessions use it: approvals reach corral only in that mode.
func withGeminiACP() rigOption {
	return func(r *rig) {
		a := r.cfg.Agents["gemini"]
		a.Args, a.Protocol = []string{"--acp"}, "acp"
		r.cfg.Agents["gemini-acp"] = a
		r.agent = "gemini-acp"
	}
}

// withManager adjusts the manager's options.
func withManager(f func(*session.Options)) rigOption { return func(r *rig) { f(&r.opts.Manager) } }

// newRig starts a mock serving sc and a runtime whose agent cli.Name runs
// the installed CLI against it in a fresh HOME.
func newRig(t testing.TB, cli clitest.CLI, sc mockllm.Scenario, ro ...rigOption) *rig {
	t.Helper()
	bin := clitest.Require(t, cli)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	t.Cleanup(cancel)
	m, err := mockllm.Start(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	home := clitest.Home(t)
	r := &rig{t: t, ctx: ctx, cli: cli, agent: cli.Name, mock: m, home: home, cwd: filepath.Join(home, "work"),
		data: filepath.Join(home, "corral-data"), seen: map[string]int64{}}
	if err := os.MkdirAll(r.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	switch cli.Name {
	case "claude":
		env = clitest.ClaudeEnv(home, m.URL)
	case "codex":
		// workspace-write lets an approved command write in the cwd.
		env = clitest.CodexEnv(t, home, m.URL, `sandbox_mode = "workspace-write"`)
	case "gemini":
		env = clitest.GeminiEnv(t, home, m.URL)
	default:
		t.Fatalf("no environment for %s", cli.Name)
	}
	r.cfg = &config.Config{Agents: map[string]config.Agent{cli.Name: {Command: bin, Env: envMap(env)}}}
	r.opts = session.RuntimeOptions{MonitorInterval: -1}
	r.opts.Manager.StopGrace = 5 * time.Second
	for _, o := range ro {
		o(r)
	}
	r.open()
	t.Cleanup(func() {
		if r.rt != nil {
			r.close()
		}
		if t.Failed() {
			r.dumpStderr()
		}
	})
	return r
}

// envMap turns clitest's environment into an [agents.NAME] env table;
// policy.AgentEnv gives these values precedence over corral's own HOME
// and PATH.
func envMap(env []string) map[string]string {
	out := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func (r *rig) open() {
	r.t.Helper()
	rt, err := session.OpenRuntime(r.ctx, r.data, r.cfg, r.opts)
	if err != nil {
		r.t.Fatal(err)
	}
	r.rt = rt
}

// close shuts the runtime down (corral stopping): agents are stopped,
// open turns end, the store is flushed.
func (r *rig) close() {
	r.t.Helper()
	for _, s := range r.subs {
		s.Close()
	}
	r.subs = nil
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.rt.Close(ctx); err != nil {
		r.t.Errorf("runtime close: %v", err)
	}
	r.rt = nil
}

// restart is a corral restart: close, then open the same data directory.
func (r *rig) restart() {
	r.t.Helper()
	r.close()
	r.open()
}

func (r *rig) mgr() *session.Manager { return r.rt.Manager }

// create makes a session of the rig's agent in its cwd.
func (r *rig) create(mode string) session.Info {
	r.t.Helper()
	in, err := r.mgr().Create(r.ctx, session.CreateOptions{Agent: r.agent, Cwd: r.cwd, PermissionMode: mode})
	if err != nil {
		r.t.Fatalf("CreateSession: %v", err)
	}
	return in
}

func (r *rig) send(id, text string) string {
	r.t.Helper()
	run, err := r.mgr().Send(r.ctx, id, text)
	if err != nil {
		r.t.Fatalf("SendMessage %q: %v", text, err)
	}
	return run
}

func (r *rig) status(id string) session.Status {
	r.t.Helper()
	in, err := r.mgr().Get(r.ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return in.Status
}

func (r *rig) wantStatus(id string, want session.Status) {
	r.t.Helper()
	if got := r.status(id); got != want {
		r.t.Fatalf("session %s status %q, want %q", id, got, want)
	}
}

// watcher reads one session's events from the bus, in order.
type watcher struct {
	r   *rig
	id  string
	sub *bus.Subscription
	buf []event.Event
}

// watch subscribes to a session's events (replaying the stored ones that
// were not read yet, so nothing published before the call is missed).
func (r *rig) watch(id string) *watcher {
	r.t.Helper()
	sub, err := r.rt.Bus.Subscribe(r.ctx, 0, bus.Filter{SessionID: id})
	if err != nil {
		r.t.Fatal(err)
	}
	r.subs = append(r.subs, sub)
	return &watcher{r: r, id: id, sub: sub}
}

// until returns the events up to and including the first that matches,
// waiting at most waitDeadline (and never past the test's deadline).
func (w *watcher) until(what string, match func(event.Event) bool) []event.Event {
	w.r.t.Helper()
	ctx, cancel := context.WithTimeout(w.r.ctx, waitDeadline)
	defer cancel()
	var got []event.Event
	for {
		for len(w.buf) > 0 {
			ev := w.buf[0]
			w.buf = w.buf[1:]
			if ev.Seq <= w.r.seen[w.id] {
				continue
			}
			w.r.seen[w.id] = ev.Seq
			got = append(got, ev)
			if match(ev) {
				return got
			}
		}
		select {
		case batch, ok := <-w.sub.C:
			if !ok {
				w.r.t.Fatalf("waiting for %s: subscription ended: %v", what, w.sub.Err())
			}
			w.buf = append(w.buf, batch...)
		case <-ctx.Done():
			w.r.t.Fatalf("waiting for %s: %v; read %d events: %s", what, ctx.Err(), len(got), kinds(got))
		}
	}
}

// turnEnd waits for the run.exited of the turn run.
func (w *watcher) turnEnd(run string) []event.Event {
	w.r.t.Helper()
	return w.until("the end of run "+run, func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run })
}

// settled waits for the session's change to st (a turn's run.exited is
// appended before the status it leads to) and checks GetSession agrees.
func (w *watcher) settled(st session.Status) {
	w.r.t.Helper()
	w.until("status "+string(st), statusIs(st))
	w.r.wantStatus(w.id, st)
}

func isKind(k string) func(event.Event) bool {
	return func(ev event.Event) bool { return ev.Kind == k }
}

func kinds(evs []event.Event) string {
	var b strings.Builder
	for i, ev := range evs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ev.Kind)
	}
	return b.String()
}

func ofKind(evs []event.Event, k string) []event.Event {
	var out []event.Event
	for _, ev := range evs {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

func data[T any](t testing.TB, ev event.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		t.Fatalf("%s data %s: %v", ev.Kind, ev.Data, err)
	}
	return v
}

// text joins the streamed text deltas of evs (a UI shows deltas or whole
// blocks; deltas are what streams).
func text(t testing.TB, evs []event.Event) string {
	t.Helper()
	var b strings.Builder
	whole := ""
	for _, ev := range ofKind(evs, event.AssistantText) {
		d := data[agent.TextData](t, ev)
		if d.Delta {
			b.WriteString(d.Text)
		} else {
			whole += d.Text
		}
	}
	if b.Len() == 0 {
		return whole
	}
	return b.String()
}

// completed returns the one turn.completed among evs.
func completed(t *testing.T, evs []event.Event) agent.TurnCompletedData {
	t.Helper()
	tc := ofKind(evs, event.TurnCompleted)
	if len(tc) != 1 {
		t.Fatalf("%d turn.completed events in %s", len(tc), kinds(evs))
	}
	return data[agent.TurnCompletedData](t, tc[0])
}

func runEnd(t *testing.T, evs []event.Event, run string) store.RunEnd {
	t.Helper()
	for _, ev := range evs {
		if ev.Kind == event.RunExited && ev.RunID == run {
			return data[store.RunEnd](t, ev)
		}
	}
	t.Fatalf("no run.exited for %s in %s", run, kinds(evs))
	return store.RunEnd{}
}

// storedEvents reads every stored event of a session from the store.
func storedEvents(t testing.TB, st *store.Store, id string) []event.Event {
	t.Helper()
	var out []event.Event
	var since int64
	for {
		evs, err := st.Events(id, since, store.MaxPage)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
		if len(evs) < store.MaxPage {
			return out
		}
		since = evs[len(evs)-1].Seq
	}
}

// checkLog closes the runtime (so every process and turn has ended) and
// checks each session's stored log: seqs 1..N without a gap, and exactly
// one run.exited for every run an event names (turns and agent
// processes alike). It returns the events by session.
func (r *rig) checkLog(ids ...string) map[string][]event.Event {
	r.t.Helper()
	if r.rt != nil {
		r.close()
	}
	st, err := store.Open(r.data, store.Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	defer st.Close()
	out := map[string][]event.Event{}
	for _, id := range ids {
		evs := storedEvents(r.t, st, id)
		if len(evs) == 0 {
			r.t.Fatalf("session %s has no stored events", id)
		}
		exits := map[string]int{}
		runs := map[string]bool{}
		for i, ev := range evs {
			if ev.Seq != int64(i+1) {
				r.t.Fatalf("session %s: event %d has seq %d (gap or disorder)", id, i, ev.Seq)
			}
			if ev.RunID != "" {
				runs[ev.RunID] = true
			}
			if ev.Kind == event.RunExited {
				exits[ev.RunID]++
			}
		}
		for run := range runs {
			if exits[run] != 1 {
				r.t.Errorf("session %s: run %s has %d run.exited events, want 1", id, run, exits[run])
			}
		}
		out[id] = evs
	}
	return out
}

// dumpStderr logs the agents' stderr lines of every session, for a
// failing test.
func (r *rig) dumpStderr() {
	st, err := store.Open(r.data, store.Options{})
	if err != nil {
		return
	}
	defer st.Close()
	recs, err := st.ListSessions(0)
	if err != nil {
		return
	}
	for _, rec := range recs {
		var b strings.Builder
		for _, ev := range storedEvents(r.t, st, rec.ID) {
			switch ev.Kind {
			case event.Stderr, event.ErrorKind, event.SessionStatus, event.TurnCompleted, event.RunStarted, event.RunExited:
				// The statuses and turns too: a status that is not the
				// one expected shows where it came from.
				fmt.Fprintf(&b, "%d %s %s\n", ev.Seq, ev.Kind, ev.Data)
			}
		}
		if b.Len() > 0 {
			s := b.String()
			if len(s) > 6000 {
				s = s[len(s)-6000:]
			}
			r.t.Logf("session %s (%s) stderr, errors, statuses and turns:\n%s", rec.ID, rec.Agent, s)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
