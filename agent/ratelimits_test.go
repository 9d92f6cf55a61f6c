package agent

import (
	"bytes"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

// TestRateLimitEvents: the rate-limit lines the real CLIs wrote against
// the mock's headers (Claude Code 2.1.197 signed in with an OAuth token,
// Codex 0.171.0 over the app-server) decode to agent.rate_limits with
// their windows; a line without a status stays agent.other.
func TestRateLimitEvents(t *testing.T) {
	claude := decodeAll(t, newClaude(&bytes.Buffer{}), [][]byte{
		[]byte(`{"type":"rate_limit_event","rate_limit_info":{"status":"allowed","resetsAt":1796549735,"rateLimitType":"five_hour","isUsingOverage":false},"uuid":"4570101a","session_id":"e1b49edf"}`),
		[]byte(`{"type":"rate_limit_event","rate_limit_info":{"status":"allowed_warning","resetsAt":1796549735,"rateLimitType":"seven_day","utilization":0.915,"isUsingOverage":false},"uuid":"4570101b","session_id":"e1b49edf"}`),
		[]byte(`{"type":"rate_limit_event","rate_limit_info":{},"uuid":"4570101c","session_id":"e1b49edf"}`),
	})
	codex := decodeAll(t, newCodex(&bytes.Buffer{}, SessionOptions{}), [][]byte{
		[]byte(`{"method":"account/rateLimits/updated","params":{"rateLimits":{"limitId":"codex","limitName":null,"normalModelSlug":null,"primary":{"usedPercent":42,"windowDurationMins":300,"resetsAt":1796549712},"secondary":{"usedPercent":100,"windowDurationMins":10080,"resetsAt":1796862912},"credits":null,"individualLimit":null,"spendControlReached":null,"planType":null,"rateLimitReachedType":null}},"emittedAtMs":1796538915037}`),
	})
	kinds := func(evs []event.Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Kind)
		}
		return out
	}
	if k := kinds(claude); len(k) != 3 || k[0] != event.RateLimits || k[1] != event.RateLimits || k[2] != event.AgentOther {
		t.Fatalf("claude kinds %v", k)
	}
	if k := kinds(codex); len(k) != 1 || k[0] != event.RateLimits {
		t.Fatalf("codex kinds %v", k)
	}
	c0 := claude[0].Payload.(RateLimitsData)
	if len(c0.Windows) != 1 || c0.Windows[0].Window != "five_hour" || c0.Windows[0].Status != "allowed" ||
		!c0.Windows[0].ResetsAt.Equal(time.Unix(1796549735, 0)) || c0.Windows[0].UsedPercent != nil {
		t.Fatalf("claude window %+v", c0)
	}
	c1 := claude[1].Payload.(RateLimitsData)
	if w := c1.Windows[0]; w.Window != "seven_day" || w.Status != "allowed_warning" || w.UsedPercent == nil || *w.UsedPercent != 91.5 {
		t.Fatalf("claude warning window %+v", w)
	}
	x := codex[0].Payload.(RateLimitsData)
	if x.Account != "codex" || len(x.Windows) != 2 {
		t.Fatalf("codex %+v", x)
	}
	p, s := x.Windows[0], x.Windows[1]
	if p.Window != "primary" || *p.UsedPercent != 42 || p.WindowMinutes != 300 || !p.ResetsAt.Equal(time.Unix(1796549712, 0)) || p.Status != "allowed" {
		t.Fatalf("codex primary %+v", p)
	}
	if s.Window != "secondary" || s.WindowMinutes != 10080 || s.Status != "rejected" {
		t.Fatalf("codex secondary %+v", s)
	}
}
