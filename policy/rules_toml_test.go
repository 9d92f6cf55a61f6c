package policy

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// The tests write their rules in the configuration's TOML, as a user
// would; package config (which reads the real file) imports policy, so it
// cannot be used here. testRules decodes the subset the tests use into
// Rules, with the same built-in agents corral has.

var testBuiltinAgents = []string{"claude", "codex", "gemini"}

type testArg struct{ a Arg }

func (t *testArg) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		t.a = Arg{Value: x}
	case map[string]any:
		for k, val := range x {
			switch k {
			case "validator":
				t.a.Validator, _ = val.(string)
			case "optional":
				t.a.Optional, _ = val.(bool)
			case "rest":
				t.a.Rest, _ = val.(bool)
			default:
				return fmt.Errorf("unknown argument key %q", k)
			}
		}
	default:
		return fmt.Errorf("argument %v", v)
	}
	return nil
}

type testLimits struct {
	Timeout         string `toml:"timeout"`
	IdleTimeout     string `toml:"idle_timeout"`
	MaxOutput       string `toml:"max_output"`
	MaxStreamOutput string `toml:"max_stream_output"`
	MaxLine         string `toml:"max_line"`
	MaxConcurrent   int    `toml:"max_concurrent"`
}

func (l testLimits) limits(t testing.TB) Limits {
	t.Helper()
	dur := func(s string) time.Duration {
		if s == "" {
			return 0
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	size := func(s string) int64 {
		if s == "" {
			return 0
		}
		n, err := ParseSize(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return Limits{Timeout: dur(l.Timeout), IdleTimeout: dur(l.IdleTimeout), MaxOutput: size(l.MaxOutput),
		MaxStreamOutput: size(l.MaxStreamOutput), MaxLine: size(l.MaxLine), MaxConcurrent: l.MaxConcurrent}
}

type testFile struct {
	Capability []struct {
		Name      string            `toml:"name"`
		Program   string            `toml:"program"`
		Args      []testArg         `toml:"args"`
		Flags     []string          `toml:"flags"`
		Env       map[string]string `toml:"env"`
		PassEnv   []string          `toml:"pass_env"`
		CallerEnv []string          `toml:"caller_env"`
		Cwd       []string          `toml:"cwd"`
		SHA256    string            `toml:"sha256"`
		testLimits
	} `toml:"capability"`
	Agents map[string]struct {
		Command  string            `toml:"command"`
		Env      map[string]string `toml:"env"`
		PassEnv  []string          `toml:"pass_env"`
		Protocol string            `toml:"protocol"`
	} `toml:"agents"`
	Limits testLimits `toml:"limits"`
	Policy struct {
		SidecarDir string `toml:"sidecar_dir"`
	} `toml:"policy"`
}

// testRules decodes src; an unknown key fails the test.
func testRules(t testing.TB, src string) Rules {
	t.Helper()
	var f testFile
	md, err := toml.NewDecoder(bytes.NewReader([]byte(src))).Decode(&f)
	if err != nil {
		t.Fatal(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		t.Fatalf("test rules: unknown key %s", und[0])
	}
	r := Rules{BuiltinAgents: testBuiltinAgents, Defaults: f.Limits.limits(t), SidecarDir: f.Policy.SidecarDir}
	for _, c := range f.Capability {
		l := c.limits(t)
		pc := Capability{Name: c.Name, Program: c.Program, Flags: c.Flags, Env: c.Env, PassEnv: c.PassEnv,
			CallerEnv: c.CallerEnv, Cwd: c.Cwd, SHA256: c.SHA256, Timeout: l.Timeout, IdleTimeout: l.IdleTimeout,
			MaxOutput: l.MaxOutput, MaxStreamOutput: l.MaxStreamOutput, MaxLine: l.MaxLine, MaxConcurrent: l.MaxConcurrent}
		for _, a := range c.Args {
			pc.Args = append(pc.Args, a.a)
		}
		r.Capabilities = append(r.Capabilities, pc)
	}
	for name, a := range f.Agents {
		if r.Agents == nil {
			r.Agents = map[string]Agent{}
		}
		cmd := a.Command
		if cmd == "" {
			cmd = name
		}
		r.Agents[name] = Agent{Command: cmd, Env: a.Env, PassEnv: a.PassEnv}
	}
	return r
}
