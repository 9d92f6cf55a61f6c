package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/corral-dev/corral/fleet"
	"github.com/corral-dev/corral/session"
)

// placeFleet is a fixed list of runners placed by fleet.Place.
type placeFleet []fleet.Runner

func (f placeFleet) Runners() []RunnerInfo {
	out := []RunnerInfo{}
	for _, r := range f {
		out = append(out, RunnerInfo{Name: r.Name, Status: string(r.Status), Agents: r.Agents, Sessions: r.Sessions})
	}
	return out
}

func (f placeFleet) Place(agent, named string) (string, error) { return fleet.Place(f, agent, named) }

func TestFleetOverHTTP(t *testing.T) {
	runners := placeFleet{
		{Heartbeat: fleet.Heartbeat{Name: "a", Agents: []string{"claude"}, Sessions: 1}, Status: fleet.StatusOnline},
		{Heartbeat: fleet.Heartbeat{Name: "b", Agents: []string{"claude"}}, Status: fleet.StatusOnline},
		{Heartbeat: fleet.Heartbeat{Name: "gone", Agents: []string{"claude"}}, Status: fleet.StatusLost},
	}
	var routed []string
	router := func(_ context.Context, runner string, p CreateSessionParams) (session.Info, error) {
		routed = append(routed, runner+":"+p.Agent)
		return session.Info{ID: "s-" + runner, Agent: p.Agent}, nil
	}
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	for _, c := range []struct {
		name     string
		opts     []Option
		method   string
		body     string
		status   int
		contains string
	}{
		{"fleet off: ListRunners", nil, "ListRunners", `{}`, 501, `"unsupported"`},
		{"fleet off: a runner named", nil, "CreateSession", `{"agent":"claude","cwd":"/","runner":"a"}`, 501, `the fleet is off`},
		{"list", []Option{WithFleet(runners)}, "ListRunners", `{}`, 200, `{"name":"gone","status":"lost"`},
		{"unknown runner", []Option{WithFleet(runners), WithSessionRouter(router)}, "CreateSession", `{"agent":"claude","cwd":"/","runner":"zz"}`, 404, `"runner_not_found"`},
		{"lost runner", []Option{WithFleet(runners), WithSessionRouter(router)}, "CreateSession", `{"agent":"claude","cwd":"/","runner":"gone"}`, 503, `"runner_offline"`},
		{"no agent", []Option{WithFleet(runners), WithSessionRouter(router)}, "CreateSession", `{"agent":"codex","cwd":"/","runner":"*"}`, 409, `"no_runner_for_agent"`},
		{"named", []Option{WithFleet(runners), WithSessionRouter(router)}, "CreateSession", `{"agent":"claude","cwd":"/","runner":"a"}`, 200, `"id":"s-a"`},
		{"any: least loaded", []Option{WithFleet(runners), WithSessionRouter(router)}, "CreateSession", `{"agent":"claude","cwd":"/","runner":"*"}`, 200, `"id":"s-b"`},
		{"placed, no router", []Option{WithFleet(runners)}, "CreateSession", `{"agent":"claude","cwd":"/","runner":"a"}`, 501, `cannot start sessions on runners`},
	} {
		_, hs := newTestServer(t, &fakeSessions{}, nil, func(o *ServerOptions) { o.API = New(&fakeSessions{}, nil, c.opts...) })
		code, body, _ := do(t, hs, "POST", "/api/call/"+c.method, c.body, auth)
		if code != c.status || !strings.Contains(body, c.contains) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, code, body, c.status, c.contains)
		}
	}
	if strings.Join(routed, ",") != "a:claude,b:claude" {
		t.Errorf("routed %v", routed)
	}
	// No runner named: the local session as before, the fleet not asked.
	fs := &fakeSessions{}
	a := New(fs, nil, WithFleet(placeFleet{}))
	if _, err := a.CreateSession(context.Background(), CreateSessionParams{Agent: "fake", Cwd: "/"}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(fs.calls)
	if !strings.Contains(string(b), "Create") {
		t.Errorf("calls %s", b)
	}
}
