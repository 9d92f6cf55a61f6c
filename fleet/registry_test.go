package fleet

import (
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestStatusAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		since time.Duration
		want  Status
	}{
		{0, StatusOnline},
		{10 * time.Second, StatusOnline},
		{15 * time.Second, StatusOnline}, // exactly the timeout: not yet lost
		{15*time.Second + 1, StatusLost},
		{time.Hour, StatusLost},
		{-time.Second, StatusOnline}, // a clock behind the server's
	} {
		if got := StatusAt(t0, t0.Add(c.since), 15*time.Second); got != c.want {
			t.Errorf("%v after the last heartbeat: %s, want %s", c.since, got, c.want)
		}
	}
}

// fakeClock is the registry's injected clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestRegistryLostAndBack(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := NewRegistry(10*time.Second, clk.now)
	steps := []struct {
		name    string
		advance time.Duration
		beat    string // runner heard at the clock's time, "" for a sweep
		want    []Change
		status  map[string]Status
	}{
		{"a first heartbeat", 0, "a", []Change{{Name: "a", From: "", To: StatusOnline}}, map[string]Status{"a": StatusOnline}},
		{"b joins", time.Second, "b", []Change{{Name: "b", To: StatusOnline}}, map[string]Status{"a": StatusOnline, "b": StatusOnline}},
		{"a beats again: no change", 5 * time.Second, "a", nil, map[string]Status{"a": StatusOnline, "b": StatusOnline}},
		{"b silent past the timeout", 6 * time.Second, "", []Change{{Name: "b", From: StatusOnline, To: StatusLost}}, map[string]Status{"a": StatusOnline, "b": StatusLost}},
		{"a silent too", 5 * time.Second, "", []Change{{Name: "a", From: StatusOnline, To: StatusLost}}, map[string]Status{"a": StatusLost, "b": StatusLost}},
		{"a back", time.Minute, "a", []Change{{Name: "a", From: StatusLost, To: StatusOnline}}, map[string]Status{"a": StatusOnline, "b": StatusLost}},
		{"nothing changes within the timeout", 10 * time.Second, "", nil, map[string]Status{"a": StatusOnline, "b": StatusLost}},
	}
	for _, s := range steps {
		clk.t = clk.t.Add(s.advance)
		var got []Change
		if s.beat != "" {
			if c, ok := r.Seen(Heartbeat{Name: s.beat}, clk.t); ok {
				got = append(got, c)
			}
		} else {
			got = r.Sweep()
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("%s: changes %+v, want %+v", s.name, got, s.want)
		}
		st := map[string]Status{}
		for _, x := range r.List() {
			st[x.Name] = x.Status
		}
		if !reflect.DeepEqual(st, s.status) {
			t.Fatalf("%s: statuses %v, want %v", s.name, st, s.status)
		}
	}
	// A late, older heartbeat does not move lastSeen back.
	if _, ok := r.Seen(Heartbeat{Name: "a", Version: "old"}, clk.t.Add(-time.Hour)); ok || r.List()[0].Version == "old" {
		t.Fatal("an older heartbeat replaced a newer one")
	}
	r.Forget("a")
	if l := r.List(); len(l) != 1 || l[0].Name != "b" {
		t.Fatalf("after Forget(a): %+v", l)
	}
}

func TestPlace(t *testing.T) {
	on := func(name string, sessions, capacity int, load float64, agents ...string) Runner {
		return Runner{Heartbeat: Heartbeat{Name: name, Sessions: sessions, Capacity: capacity, Load: load, Agents: agents}, Status: StatusOnline}
	}
	lost := on("gone", 0, 0, 0, "claude")
	lost.Status = StatusLost
	fleet := []Runner{
		on("a", 3, 0, 0.1, "claude", "codex"),
		on("b", 1, 0, 2.0, "claude"),
		on("c", 1, 0, 0.5, "claude"),
		on("d", 0, 0, 0, "gemini"),
		on("e", 4, 4, 0, "claude", "acp"), // full
		lost,
	}
	for _, c := range []struct {
		name, agent, named string
		runners            []Runner
		want, code         string
	}{
		{"least sessions, then lower load", "claude", "", fleet, "c", ""},
		{"only one has it", "codex", "", fleet, "a", ""},
		{"a full runner is skipped", "acp", "", fleet, "", CodeNoRunnerForAgent},
		{"nobody has it", "cursor", "", fleet, "", CodeNoRunnerForAgent},
		{"a lost runner is never chosen", "claude", "", []Runner{lost}, "", CodeNoRunnerForAgent},
		{"no runners", "claude", "", nil, "", CodeNoRunnerForAgent},
		{"named", "claude", "a", fleet, "a", ""},
		{"named although fuller", "acp", "e", fleet, "e", ""},
		{"named, unknown", "claude", "zz", fleet, "", CodeRunnerNotFound},
		{"named, lost", "claude", "gone", fleet, "", CodeRunnerOffline},
		{"named, without the agent", "codex", "b", fleet, "", CodeNoRunnerForAgent},
		{"ties go to the first name", "claude", "", []Runner{on("y", 0, 0, 0, "claude"), on("x", 0, 0, 0, "claude")}, "x", ""},
		{"capacity share", "claude", "", []Runner{on("p", 2, 10, 0, "claude"), on("q", 1, 2, 0, "claude")}, "p", ""},
	} {
		got, err := Place(c.runners, c.agent, c.named)
		var pe *PlacementError
		switch {
		case c.code == "" && (err != nil || got != c.want):
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		case c.code != "" && (!errors.As(err, &pe) || pe.Code != c.code || got != ""):
			t.Errorf("%s: %q %v, want code %s", c.name, got, err, c.code)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0, 250 * time.Millisecond},
		{2, 0, 500 * time.Millisecond},
		{3, 0.5, time.Second + time.Second/8},
		{8, 0, 30 * time.Second},
		{1000, 0.99, 30*time.Second + time.Duration(float64(30*time.Second)/4*0.99)},
	} {
		if got := Backoff(c.n, c.jitter); got != c.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", c.n, c.jitter, got, c.want)
		}
	}
}

func TestCPUPercent(t *testing.T) {
	w := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := cpuPercent(0, time.Second, time.Time{}, w); got != 0 {
		t.Errorf("first sample %v", got)
	}
	if got := cpuPercent(time.Second, 2*time.Second, w, w.Add(4*time.Second)); got != 25 {
		t.Errorf("1s of CPU in 4s: %v%%", got)
	}
	if got := cpuPercent(0, 3*time.Second, w, w.Add(time.Second)); got != 300 {
		t.Errorf("three cores: %v%%", got)
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"a": true, "build-01": true, "": false, "A": false, "a.b": false, "a*": false, "a>": false,
		"0123456789012345678901234567890x": true, "0123456789012345678901234567890xy": false} {
		if err := ValidName(name); (err == nil) != ok {
			t.Errorf("ValidName(%q) = %v", name, err)
		}
	}
}

func TestNATSLoggerLevels(t *testing.T) {
	var b strings.Builder
	l := natsLogger{slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	l.Noticef("listening on %d", 4222)
	l.Debugf("debug")
	l.Tracef("trace")
	l.Warnf("slow consumer %s", "x")
	l.Errorf("bad %s", "thing")
	out := b.String()
	if strings.Contains(out, "listening") || strings.Contains(out, "debug") || strings.Contains(out, "trace") {
		t.Errorf("notices, debug or trace at info level:\n%s", out)
	}
	if !strings.Contains(out, "level=WARN msg=\"nats: slow consumer x\"") || !strings.Contains(out, "level=ERROR msg=\"nats: bad thing\"") {
		t.Errorf("warnings and errors lost:\n%s", out)
	}
}
