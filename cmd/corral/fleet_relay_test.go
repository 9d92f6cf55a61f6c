//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/proctest"
)

// fleetPair is a hub (corral serve --fleet) and the home of one runner
// "box", each with its own data directory, HOME and agent marker.
type fleetPair struct {
	hub                *serveProc
	hubData, hubURL    string
	runHome, creds     string
	runCfg             string
	hubMark, agentMark string
	hubCfg             string
	hubArgs            []string
}

// startFleetPair starts a hub with a short heartbeat timeout and issues
// the credentials of runner "box"; startRunner starts the runner itself.
func startFleetPair(t *testing.T, hubArgs ...string) *fleetPair {
	t.Helper()
	dir := t.TempDir()
	p := &fleetPair{hubMark: proctest.NewMark(), agentMark: proctest.NewMark()}
	t.Cleanup(func() { proctest.RequireGone(t, p.hubMark); proctest.RequireGone(t, p.agentMark) })
	hubHome := filepath.Join(dir, "hub")
	p.runHome = filepath.Join(dir, "runner")
	os.MkdirAll(hubHome, 0o700)
	os.MkdirAll(p.runHome, 0o700)
	p.hubData = filepath.Join(hubHome, "data")
	t.Setenv("HOME", hubHome)
	// A fixed port, so that a restarted hub is where its runners dial.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	p.hubArgs = append([]string{"--fleet", "--fleet-addr", ln.Addr().String(), "--fleet-timeout", "2s"}, hubArgs...)
	p.hubCfg = fakeAgentConfig(t, hubHome, p.hubMark)
	p.hub = startServe(t, p.hubData, p.hubCfg, p.hubArgs...)
	var hub struct{ URL string }
	b, err := os.ReadFile(filepath.Join(p.hubData, "fleet", "hub.json"))
	if err != nil || json.Unmarshal(b, &hub) != nil {
		t.Fatalf("hub.json %s %v", b, err)
	}
	p.hubURL = hub.URL
	p.creds = filepath.Join(p.runHome, "box.creds")
	if out, err := corral(t, "fleet", "add", "box", "--out", p.creds, "--data", p.hubData).CombinedOutput(); err != nil {
		t.Fatalf("fleet add: %v %s", err, out)
	}
	p.runCfg = fakeAgentConfig(t, p.runHome, p.agentMark)
	return p
}

// startBox starts runner box and waits until the hub has it online.
func (p *fleetPair) startBox(t *testing.T) *fleetRunner {
	t.Helper()
	r := startRunner(t, p.runHome, p.hubURL, p.creds, p.runCfg)
	p.hub.awaitRunner("box", "online", func(x *runnerRow) bool {
		return x != nil && x.Status == "online" && slices.Contains(x.Agents, "fake")
	})
	return r
}

// hubEvents follows the hub's SSE stream of one session and delivers its
// events; the stream ends with the test. Like the web client, it resumes
// with Last-Event-ID when the server ends the stream (a client too slow
// for a flood is dropped by the bus), and stops when the server is gone.
func (sp *serveProc) hubEvents(sessionID string) <-chan event.Event {
	sp.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sp.t.Cleanup(cancel)
	base, token := sp.base, sp.info.Token
	out := make(chan event.Event, 1<<16)
	open := func(last string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"api/events?session="+sessionID, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if last != "" {
			req.Header.Set("Last-Event-ID", last)
		}
		return http.DefaultClient.Do(req)
	}
	resp, err := open("")
	if err != nil {
		sp.t.Fatal(err)
	}
	go func() {
		defer close(out)
		last := ""
		for {
			br := bufio.NewReaderSize(resp.Body, 1<<20)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					break
				}
				switch {
				case strings.HasPrefix(line, "id: "):
					last = strings.TrimSpace(line[4:])
				case strings.HasPrefix(line, "data: "):
					var ev event.Event
					if json.Unmarshal([]byte(line[6:]), &ev) == nil && ev.SessionID == sessionID {
						select {
						case out <- ev:
						case <-ctx.Done():
							resp.Body.Close()
							return
						}
					}
				}
			}
			resp.Body.Close()
			if resp, err = open(last); err != nil {
				return
			}
		}
	}()
	return out
}

// awaitEvent reads evs until match, returning what it read.
func awaitEvent(t *testing.T, evs <-chan event.Event, what string, match func(event.Event) bool) []event.Event {
	t.Helper()
	var seen []event.Event
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("%s: the hub's event stream ended after %d events", what, len(seen))
			}
			seen = append(seen, ev)
			if match(ev) {
				return seen
			}
		case <-timeout:
			var kinds []string
			for _, ev := range seen[max(0, len(seen)-20):] {
				kinds = append(kinds, fmt.Sprint(ev.Seq, ev.Kind))
			}
			t.Fatalf("%s: not on the hub's event stream (%d events read: %v)", what, len(seen), kinds)
		}
	}
}

// exitReason is the reason of a run.exited event.
func exitReason(ev event.Event) string {
	var d struct{ Reason string }
	json.Unmarshal(ev.Data, &d)
	return d.Reason
}

// TestFleetSessionOnRunner drives a session placed on a runner only
// through the hub's API: it runs on the runner (its agent is the runner's
// child), its events reach the hub's SSE stream, ListSessions names the
// runner, and its methods (a permission answer, an interrupt) go to the
// runner with their errors' codes unchanged.
func TestFleetSessionOnRunner(t *testing.T) {
	p := startFleetPair(t)
	r := p.startBox(t)
	sp := p.hub
	code, body := sp.call("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q,"runner":"box"}`, p.runHome))
	var created struct{ Result struct{ ID, Runner string } }
	if json.Unmarshal([]byte(body), &created); code != 200 || created.Result.Runner != "box" {
		t.Fatalf("CreateSession on box: %d %s", code, body)
	}
	id := created.Result.ID
	evs := sp.hubEvents(id)

	var sent struct{ RunID string }
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"tool:make"}`, id), &sent)
	seen := awaitEvent(t, evs, "permission request", func(ev event.Event) bool { return ev.Kind == event.PermissionRequest })
	if n := len(proctest.Leftovers(p.agentMark)); n == 0 {
		t.Fatal("no agent process carries the runner's marker: the session does not run on the runner")
	}
	if left := proctest.Leftovers(p.hubMark); len(left) > 0 {
		t.Fatalf("the hub started agents %v for a session on a runner", left)
	}
	var pr agent.PermissionRequestData
	json.Unmarshal(seen[len(seen)-1].Data, &pr)
	code, body = sp.call("RespondPermission", fmt.Sprintf(`{"sessionId":%q,"requestId":"nope","allow":true}`, id))
	if code != 404 || !strings.Contains(body, `"not_found"`) {
		t.Fatalf("an unknown request through the hub: %d %s", code, body)
	}
	sp.mustCall("RespondPermission", fmt.Sprintf(`{"sessionId":%q,"requestId":%q,"allow":true}`, id, pr.RequestID), nil)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runner: %s\nhub: %s", r.errb.String(), sp.errb.String())
		}
	})
	seen = awaitEvent(t, evs, "the turn's end", func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == sent.RunID })
	var result agent.ToolResultData
	for _, ev := range seen {
		if ev.Kind == event.ToolResult {
			json.Unmarshal(ev.Data, &result)
		}
	}
	if result.Output != "ran: make" {
		t.Fatalf("tool result %+v", result)
	}

	var list []struct{ ID, Runner, Status string }
	sp.mustCall("ListSessions", `{}`, &list)
	if len(list) != 1 || list[0].ID != id || list[0].Runner != "box" {
		t.Fatalf("ListSessions on the hub: %+v", list)
	}
	code, body = sp.call("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"x","bogus":1}`, id))
	if code != 400 || !strings.Contains(body, `"invalid_argument"`) {
		t.Fatalf("bad parameters through the hub: %d %s", code, body)
	}

	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"slow:100000"}`, id), &sent)
	awaitEvent(t, evs, "streamed text", func(ev event.Event) bool { return ev.Kind == event.AssistantText && ev.RunID == sent.RunID })
	sp.mustCall("Interrupt", fmt.Sprintf(`{"sessionId":%q}`, id), nil)
	seen = awaitEvent(t, evs, "the interrupted turn's end", func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == sent.RunID })
	if why := exitReason(seen[len(seen)-1]); why != "interrupted" {
		t.Fatalf("interrupted turn ended with %q", why)
	}

	r.stop(t)
	code, body = sp.call("Interrupt", fmt.Sprintf(`{"sessionId":%q}`, id))
	if code != 503 || !strings.Contains(body, `"runner_offline"`) {
		t.Fatalf("a stopped runner's session: %d %s", code, body)
	}
	sp.stop()
}

// sessionStatuses returns the hub's ListSessions as id → status (and
// checks that each names runner box).
func (sp *serveProc) sessionStatuses() map[string]string {
	sp.t.Helper()
	var list []struct{ ID, Runner, Status string }
	sp.mustCall("ListSessions", `{}`, &list)
	out := map[string]string{}
	for _, s := range list {
		if s.Runner != "box" {
			sp.t.Fatalf("session %s has runner %q", s.ID, s.Runner)
		}
		out[s.ID] = s.Status
	}
	return out
}

// awaitStatuses waits until the hub lists the sessions with these statuses.
func (sp *serveProc) awaitStatuses(what string, want map[string]string) {
	sp.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := sp.sessionStatuses()
		ok := true
		for id, st := range want {
			ok = ok && got[id] == st
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			sp.t.Fatalf("%s: statuses %v, want %v; hub stderr: %s", what, got, want, sp.errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFleetRunnerKilledAndBack kills a runner with SIGKILL while one of its
// sessions runs a turn and another is idle: the hub marks it lost within
// its heartbeat timeout and both sessions disconnected (GetSession still
// answers, from the replica); no agent outlives the runner. When the runner
// is back, the idle session is idle again and the turn that ran ended
// interrupted.
func TestFleetRunnerKilledAndBack(t *testing.T) {
	p := startFleetPair(t)
	r := p.startBox(t)
	sp := p.hub
	var idle, busy struct{ ID string }
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q,"runner":"box"}`, p.runHome), &idle)
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q,"runner":"box"}`, p.runHome), &busy)
	idleEvs, busyEvs := sp.hubEvents(idle.ID), sp.hubEvents(busy.ID)
	var sent struct{ RunID string }
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"hello"}`, idle.ID), &sent)
	awaitEvent(t, idleEvs, "the idle session's turn", func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == sent.RunID })
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"slow:100000"}`, busy.ID), &sent)
	awaitEvent(t, busyEvs, "streamed text", func(ev event.Event) bool { return ev.Kind == event.AssistantText && ev.RunID == sent.RunID })
	sp.awaitStatuses("before the kill", map[string]string{idle.ID: "idle", busy.ID: "processing"})

	r.cmd.Process.Signal(syscall.SIGKILL)
	r.wait(t, "kill -9")
	if left := proctest.WaitGone(p.agentMark, 20*time.Second); len(left) > 0 {
		t.Fatalf("agents outlived the killed runner: %v", left)
	}
	sp.awaitRunner("box", "lost", statusIs("lost"))
	sp.awaitStatuses("runner lost", map[string]string{idle.ID: "disconnected", busy.ID: "disconnected"})
	var got struct{ Status string }
	sp.mustCall("GetSession", fmt.Sprintf(`{"sessionId":%q}`, busy.ID), &got)
	if got.Status != "disconnected" {
		t.Fatalf("GetSession of a lost runner's session: %q", got.Status)
	}
	code, body := sp.call("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"hi"}`, idle.ID))
	if code != 503 || !strings.Contains(body, `"runner_offline"`) {
		t.Fatalf("a message to a lost runner's session: %d %s", code, body)
	}

	r = p.startBox(t)
	sp.awaitStatuses("runner back", map[string]string{idle.ID: "idle", busy.ID: "interrupted"})
	seen := awaitEvent(t, busyEvs, "the killed turn's end", func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == sent.RunID })
	t.Logf("the killed turn ended %q", exitReason(seen[len(seen)-1]))
	// The session is usable again through the hub.
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"again"}`, busy.ID), &sent)
	awaitEvent(t, busyEvs, "a turn after the return", func(ev event.Event) bool { return ev.Kind == event.RunExited && ev.RunID == sent.RunID })

	r.stop(t)
	sp.stop()
}

// readSeqs reads evs until the event of seq last, counting each seq seen.
func readSeqs(t *testing.T, evs <-chan event.Event, seen map[int64]int, last func() int64) {
	t.Helper()
	timeout := time.After(3 * time.Minute)
	var top int64
	for {
		if l := last(); l > 0 && top >= l {
			return
		}
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("the hub's stream ended at seq %d", top)
			}
			seen[ev.Seq]++
			top = max(top, ev.Seq)
		case <-time.After(100 * time.Millisecond):
		case <-timeout:
			t.Fatalf("the hub's stream stopped at seq %d, want %d", top, last())
		}
	}
}

// TestFleetHubKilledMidFlood kills the hub with SIGKILL while a runner's
// session streams 100,000 lines; once the hub is started again (same data
// and NATS address), a client that reads the session from the hub sees
// every event of the runner's log once, in order: 0 lost, 0 gaps, 0
// duplicates.
func TestFleetHubKilledMidFlood(t *testing.T) {
	p := startFleetPair(t)
	r := p.startBox(t)
	sp := p.hub
	var sess struct{ ID string }
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runner: %.3000s\nhub: %.3000s", r.errb.String(), p.hub.errb.String())
		}
	})
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q,"runner":"box"}`, p.runHome), &sess)
	evs := sp.hubEvents(sess.ID)
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"chatty:100000:1"}`, sess.ID), nil)
	var n int
	awaitEvent(t, evs, "20,000 events", func(ev event.Event) bool { n++; return n >= 20000 })
	sp.cmd.Process.Signal(syscall.SIGKILL)
	sp.cmd.Wait()
	killedAt := time.Now()

	sp = startServe(t, p.hubData, p.hubCfg, p.hubArgs...)
	p.hub = sp
	evs = sp.hubEvents(sess.ID)
	seen := map[int64]int{}
	// The runner's log is complete once its count stops growing (the
	// agent's last lines, over the framer's 1 MiB line cap, never end the
	// turn: it stays processing until the runner stops).
	var info struct{ EventCount int64 }
	var runnerLast int64
	for stable := 0; stable < 3; time.Sleep(time.Second) {
		sp.mustCall("GetSession", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), &info)
		if info.EventCount == runnerLast && runnerLast > 100000 {
			stable++
		} else {
			stable = 0
		}
		runnerLast = info.EventCount
		if time.Since(killedAt) > 3*time.Minute {
			t.Fatalf("the runner's log is still growing: %d events", runnerLast)
		}
	}
	t.Logf("the runner's log: %d events, complete %v after the kill", runnerLast, time.Since(killedAt).Round(time.Second))
	last := func() int64 { return runnerLast }
	readSeqs(t, evs, seen, last)
	var lost, dups int
	for seq := int64(1); seq <= runnerLast; seq++ {
		switch c := seen[seq]; {
		case c == 0:
			lost++
		case c > 1:
			dups += c - 1
		}
	}
	extra := len(seen) - int(runnerLast)
	t.Logf("runner log %d events; the hub's client: %d lost, %d duplicates, %d beyond the runner's log", runnerLast, lost, dups, max(extra, 0))
	if lost != 0 || dups != 0 || extra > 0 || runnerLast < 100000 {
		t.Fatalf("%d lost, %d duplicates, %d unknown, runner log %d", lost, dups, extra, runnerLast)
	}
	r.stop(t)
	sp.stop()
}
