package policy

import (
	"strings"
	"testing"
	"time"
)

func TestExplain(t *testing.T) {
	f := newFixture(t)
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, rec := f.policy(t, mainConfig, Options{Now: func() time.Time { return fixed }})

	var b strings.Builder
	d := p.Decide(Request{Capability: "git-log", Args: []string{"log", "--max-count=3"}, Env: map[string]string{"TERM": "xterm"}, DryRun: true})
	if code := Explain(&b, d); code != 0 || d.Rule() != RuleAllow {
		t.Fatalf("exit code %d for an allowed request", code)
	}
	out := b.String()
	for _, want := range []string{"allowed\n", "program:    " + f.prog, `args:       ["log", "--max-count=3"]`, "dir:        " + f.root,
		"env:        GIT_PAGER LANG LC_ALL", "TERM", "timeout=10m0s", "max_concurrent=2"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "C.UTF-8") {
		t.Errorf("explain printed an environment value:\n%s", out)
	}
	evs := rec.take()
	if len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"dryRun":true`) || !evs[0].Time.Equal(fixed) {
		t.Errorf("dry-run audit = %+v", evs)
	}

	b.Reset()
	d = p.Decide(Request{Capability: "git-log", Args: []string{"log", "--max-count=3; rm -rf /"}})
	if code := Explain(&b, d); code != 1 {
		t.Fatalf("exit code %d for a denied request", code)
	}
	out = b.String()
	if !strings.HasPrefix(out, "denied arg.pattern\n") {
		t.Errorf("first line must carry the rule:\n%s", out)
	}
	for _, want := range []string{"capability: git-log", "position:   args[1]", "required:   ^(?:--max-count=[0-9]{1,3})$", `given:      "--max-count=3; rm -rf /"`, "reason:"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}

func TestAuditCaps(t *testing.T) {
	f := newFixture(t)
	p, rec := f.policy(t, mainConfig, Options{})
	args := make([]string, 100)
	for i := range args {
		args[i] = strings.Repeat("a", 5000)
	}
	_, _ = p.Check(Request{Capability: "words", Args: args, Owner: SessionOwner("s9")})
	evs := rec.take()
	if len(evs) != 1 {
		t.Fatalf("events = %d", len(evs))
	}
	s := string(evs[0].Data)
	if !strings.Contains(s, `"argsOmitted":36`) || !strings.Contains(s, `"argsTruncated":true`) || len(s) > 80<<10 {
		t.Errorf("audit event not capped (%d bytes)", len(s))
	}
	if evs[0].SessionID != "s9" || !strings.Contains(s, `"owner":"session:s9"`) {
		t.Errorf("owner not recorded: %s", s[:200])
	}
}
