package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/supervise"
)

// tenMinutesOfSamples is how many samples the supervisor takes of a live
// process in ten minutes at its default interval.
const tenMinutesOfSamples = int(10 * time.Minute / supervise.DefaultMonitorInterval)

// An agent kept live for (the sampling equivalent of) ten minutes: the
// supervisor samples it every few milliseconds instead of every 2 s until
// it has taken more samples than ten minutes hold. The session's log, as
// GetEvents and the store return it, holds no process.stats event;
// GetProcessStats returns the samples, at most StatSamplesPerProcess of
// them, the newest last.
func TestTenMinutesOfSamplesStayOutOfTheSessionLog(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf("[agents.fake]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\" }\n",
		exe, fakeagent.EnvVar)), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	o := session.RuntimeOptions{MonitorInterval: 5 * time.Millisecond}
	o.Manager.StopGrace = 2 * time.Second
	rt, err := session.OpenRuntime(context.Background(), t.TempDir(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerOptions{
		API:    New(rt.Manager, ProcessService{Policy: rt.Policy, Supervisor: rt.Supervisor}),
		Events: BusSource{rt.Bus}, Token: testToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, rt: rt, srv: srv, hs: httptest.NewServer(srv)}
	defer e.close()

	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir()}, &sess)
	st := e.stream("?session="+sess.ID, 0)
	var run SendMessageResult
	e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "hello"}, &run)
	st.until(func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == run.RunID })
	st.stop()

	// Samples taken so far are counted by their distinct times: the ring
	// keeps the newest StatSamplesPerProcess, so once its oldest sample is
	// later than the newest one seen when it first filled, more than
	// tenMinutesOfSamples have been taken.
	if session.StatSamplesPerProcess < tenMinutesOfSamples {
		t.Fatalf("the ring keeps %d samples, less than ten minutes' %d", session.StatSamplesPerProcess, tenMinutesOfSamples)
	}
	stats := func() []session.StatSample {
		var r ProcessStatsResult
		e.call("GetProcessStats", map[string]any{"sessionId": sess.ID}, &r)
		if len(r.Series) > 1 {
			t.Fatalf("%d series for one live agent", len(r.Series))
		}
		if len(r.Series) == 0 {
			return nil
		}
		if s := r.Series[0]; s.SessionID != sess.ID || s.Ended || s.ProcessID == "" {
			t.Fatalf("series %+v", s)
		}
		return r.Series[0].Samples
	}
	deadline := time.Now().Add(5 * time.Minute) // hang protection only
	var full int64                              // the newest sample's time when the ring first filled
	var samples []session.StatSample
	for {
		samples = stats()
		if len(samples) > session.StatSamplesPerProcess {
			t.Fatalf("GetProcessStats returned %d samples, over the bound of %d", len(samples), session.StatSamplesPerProcess)
		}
		if full == 0 && len(samples) == session.StatSamplesPerProcess {
			full = samples[len(samples)-1].T
		}
		if full != 0 && samples[0].T > full {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent was not sampled past ten minutes' worth: %d samples kept", len(samples))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 1; i < len(samples); i++ {
		if samples[i].T < samples[i-1].T {
			t.Fatalf("samples out of order at %d: %d after %d", i, samples[i].T, samples[i-1].T)
		}
	}
	if samples[len(samples)-1].RSS == 0 {
		t.Fatalf("the newest sample has no RSS: %+v", samples[len(samples)-1])
	}
	// The agent is still live.
	var got session.Info
	e.call("GetSession", map[string]any{"sessionId": sess.ID}, &got)
	if got.Process == nil || got.Process.Pid == 0 {
		t.Fatalf("the agent is not live: %+v", got)
	}

	// The log, read the way a client reads it, and straight from the store.
	var page struct {
		Events []event.Event `json:"events"`
		More   bool          `json:"more"`
	}
	e.call("GetEvents", map[string]any{"sessionId": sess.ID, "since": 0, "limit": 100000}, &page)
	if page.More || len(page.Events) == 0 {
		t.Fatalf("GetEvents: %d events, more %v", len(page.Events), page.More)
	}
	if err := rt.Store.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored, err := rt.Store.Events(sess.ID, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for what, evs := range map[string][]event.Event{"GetEvents": page.Events, "the store": stored} {
		for _, ev := range evs {
			if ev.Kind == event.ProcessStats {
				t.Fatalf("%s holds a process.stats event (seq %d) among %d events", what, ev.Seq, len(evs))
			}
		}
	}
	// Without the samples the log is the turn and the process's start:
	// far fewer events than samples taken.
	if len(stored) >= tenMinutesOfSamples/10 {
		t.Fatalf("%d events stored for one short turn", len(stored))
	}
}
