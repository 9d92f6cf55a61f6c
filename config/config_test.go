package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const full = `
[server]
addr = "127.0.0.1:8080"
no_open = true

[limits]
timeout = "1h"
max_output = "128MiB"
max_processes = 16

[policy]
sidecar_dir = "~/sidecars"

[agents.claude]
command = "claude"
args = ["--model", "opus"]
env = { ANTHROPIC_BASE_URL = "https://gateway.example" }
pass_env = ["ANTHROPIC_API_KEY"]

[agents.myacp]
command = "/opt/bin/agent"
protocol = "acp"

[[capability]]
name = "git-log"
program = "git"
args = ["log", { validator = "--max-count=[0-9]{1,3}" }, { validator = "[A-Za-z0-9._/-]+", optional = true }]
flags = ["--oneline"]
env = { GIT_PAGER = "cat" }
pass_env = ["LANG", "LC_*"]
caller_env = ["TERM"]
cwd = ["~/src", "/tmp"]
timeout = "10m"
idle_timeout = "2m"
max_output = "64MiB"
max_stream_output = 1048576
max_line = "64KiB"
max_concurrent = 4
sha256 = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"

[[capability]]
name = "echo"
program = "/bin/echo"
args = [{ validator = ".*", rest = true }]
`

func TestParseFull(t *testing.T) {
	home, _ := os.UserHomeDir()
	cfg, err := Parse([]byte(full), "full.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != "127.0.0.1:8080" || !cfg.Server.NoOpen {
		t.Errorf("server = %+v", cfg.Server)
	}
	if cfg.Limits.Timeout != time.Hour || cfg.Limits.MaxOutput != 128<<20 || cfg.Limits.MaxProcesses != 16 {
		t.Errorf("limits = %+v", cfg.Limits)
	}
	if cfg.Policy.SidecarDir != filepath.Join(home, "sidecars") {
		t.Errorf("sidecar_dir = %q", cfg.Policy.SidecarDir)
	}
	cl := cfg.Agents["claude"]
	if cl.Protocol != "claude" || cl.Command != "claude" || len(cl.Args) != 2 || cl.Env["ANTHROPIC_BASE_URL"] == "" || cl.PassEnv[0] != "ANTHROPIC_API_KEY" {
		t.Errorf("claude = %+v", cl)
	}
	if cfg.Agents["myacp"].Protocol != "acp" {
		t.Errorf("myacp = %+v", cfg.Agents["myacp"])
	}
	if len(cfg.Capabilities) != 2 {
		t.Fatalf("capabilities = %d", len(cfg.Capabilities))
	}
	c := cfg.Capabilities[0]
	want := []Arg{{Value: "log"}, {Validator: "--max-count=[0-9]{1,3}"}, {Validator: "[A-Za-z0-9._/-]+", Optional: true}}
	if len(c.Args) != len(want) {
		t.Fatalf("args = %+v", c.Args)
	}
	for i := range want {
		if c.Args[i] != want[i] {
			t.Errorf("args[%d] = %+v, want %+v", i, c.Args[i], want[i])
		}
	}
	if c.Cwd[0] != filepath.Join(home, "src") || c.Cwd[1] != "/tmp" {
		t.Errorf("cwd = %q", c.Cwd)
	}
	if c.Timeout != 10*time.Minute || c.IdleTimeout != 2*time.Minute || c.MaxOutput != 64<<20 ||
		c.MaxStreamOutput != 1<<20 || c.MaxLine != 64<<10 || c.MaxConcurrent != 4 {
		t.Errorf("limits = %+v", c)
	}
	if c.SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("sha256 = %q", c.SHA256)
	}
	if !cfg.Capabilities[1].Args[0].Rest {
		t.Errorf("rest not read: %+v", cfg.Capabilities[1].Args)
	}
}

func TestParseErrors(t *testing.T) {
	capab := func(extra string) string {
		return "[[capability]]\nname = \"c\"\nprogram = \"/bin/true\"\n" + extra + "\n"
	}
	tests := []struct {
		name, toml string
		want       []string // substrings of the error
	}{
		{"unknown top key", "foo = 1\n", []string{`:1:`, `unknown key "foo"`}},
		{"unknown capability key", capab("progam = \"x\""), []string{`:4:`, `"capability.progam"`}},
		{"unknown key in second block", capab("") + "[[capability]]\nname = \"d\"\nprogram = \"/bin/true\"\ntimeot = \"1s\"\n", []string{`:8:`, `"capability.timeot"`}},
		{"unknown dotted key", "agents.claude.comand = \"x\"\n", []string{`:1:`, `agents.claude.comand`}},
		{"unknown server key", "[server]\naddr = \"x\"\nport = 1\n", []string{`:3:`, `server.port`}},
		{"unknown agent key", "[agents.claude]\n\ncomand = \"x\"\n", []string{`:3:`, `agents.claude.comand`}},
		{"unknown arg key", capab(`args = [{ validator = "a", optinal = true }]`), []string{`:4:`, `"optinal"`}},
		{"syntax", "[[capability]\n", []string{`c.toml:`, "delimiter"}},
		{"bad duration", capab(`timeout = "10 minutes"`), []string{`capability "c"`, "timeout", `"10 minutes"`}},
		{"int duration", capab(`timeout = 10`), []string{`capability "c"`, "timeout", "duration string"}},
		{"negative duration", capab(`idle_timeout = "-1s"`), []string{"idle_timeout", "negative"}},
		{"bad size", capab(`max_output = "64 MegaBytes"`), []string{`capability "c"`, "max_output", "unknown unit"}},
		{"zero size", capab(`max_line = 0`), []string{"max_line", "positive"}},
		{"stream above run", capab("max_output = \"1MiB\"\nmax_stream_output = \"2MiB\""), []string{"max_stream_output (2MiB) exceeds max_output (1MiB)"}},
		{"negative concurrency", capab(`max_concurrent = -1`), []string{"max_concurrent"}},
		{"limits section", "[limits]\nmax_output = \"lots\"\n", []string{"[limits]", "max_output"}},
		{"no name", "[[capability]]\nprogram = \"/bin/true\"\n", []string{"capability #1", "name"}},
		{"bad name", "[[capability]]\nname = \"a/b\"\nprogram = \"x\"\n", []string{`"a/b"`}},
		{"no program", "[[capability]]\nname = \"c\"\n", []string{"program is required"}},
		{"duplicate", capab("") + capab(""), []string{"defined twice"}},
		{"bad regex", capab(`args = [{ validator = "(" }]`), []string{"args[0]", `validator "("`}},
		{"empty validator", capab(`args = [{ validator = "" }]`), []string{"non-empty validator"}},
		{"arg type", capab(`args = [1]`), []string{"string or a table"}},
		{"rest not last", capab(`args = [{ validator = "a", rest = true }, "b"]`), []string{"only the last"}},
		{"required after optional", capab(`args = [{ validator = "a", optional = true }, "b"]`), []string{"args[1]", "cannot follow an optional"}},
		{"flag without dash", capab(`flags = ["x"]`), []string{`flags[0] "x"`}},
		{"flag twice", capab(`flags = ["-x", "-x"]`), []string{"listed twice"}},
		{"flag also fixed", capab("args = [\"-x\"]\nflags = [\"-x\"]"), []string{"fixed args[0]"}},
		{"env name", capab(`env = { "A=B" = "1" }`), []string{"env", `"A=B"`}},
		{"pass_env star", capab(`pass_env = ["*"]`), []string{"whole environment"}},
		{"pass_env inner star", capab(`pass_env = ["A*B"]`), []string{"only allowed at the end"}},
		{"relative cwd", capab(`cwd = ["src"]`), []string{"cwd", "absolute"}},
		{"tilde user", capab(`cwd = ["~bob/src"]`), []string{"~user"}},
		{"sha256", capab(`sha256 = "abc"`), []string{"64 hex digits"}},
		{"agent protocol", "[agents.foo]\ncommand = \"foo\"\n", []string{"[agents.foo]", "protocol is required"}},
		{"agent bad protocol", "[agents.foo]\nprotocol = \"soap\"\n", []string{`"soap"`}},
		{"agent pass_env", "[agents.claude]\npass_env = [\"\"]\n", []string{"pass_env"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml), "c.toml")
			if err == nil {
				t.Fatalf("no error for:\n%s", tt.toml)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir) // DefaultPath on Linux
	t.Setenv("HOME", dir)
	t.Setenv("AppData", dir)
	cfg, err := Load("")
	if err != nil || cfg == nil || len(cfg.Capabilities) != 0 || cfg.Path != "" {
		t.Fatalf("missing default: cfg=%+v err=%v", cfg, err)
	}
	_, err = Load(filepath.Join(dir, "nope.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing explicit file: err = %v, want ErrNotExist", err)
	}
	p, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load("")
	if err != nil || len(cfg.Capabilities) != 2 || cfg.Path != p {
		t.Fatalf("default file: cfg=%+v err=%v", cfg, err)
	}
}

func TestDefaultDataDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	t.Setenv("LocalAppData", dir)
	t.Setenv("HOME", dir)
	d, err := DefaultDataDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(d) != "corral" || !strings.HasPrefix(d, dir) {
		t.Errorf("DefaultDataDir = %q, want corral under %q", d, dir)
	}
}

// FuzzParse: any input either parses into a configuration whose durations,
// sizes and roots are valid, or fails with an error; it never panics.
func FuzzParse(f *testing.F) {
	f.Add(full)
	f.Add("[[capability]]\nname = \"c\"\nprogram = \"/bin/true\"\nargs = [{ validator = \"a\", rest = true }]\n")
	f.Add("[limits]\nmax_output = \"1.5GiB\"\n")
	f.Add("[agents.x]\nprotocol = \"acp\"\n")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := Parse([]byte(s), "fuzz.toml")
		if err != nil {
			return
		}
		for _, c := range cfg.Capabilities {
			if c.Name == "" || c.Program == "" || c.Timeout < 0 || c.MaxOutput < 0 || c.MaxConcurrent < 0 {
				t.Fatalf("invalid capability accepted: %+v", c)
			}
			for _, r := range c.Cwd {
				if !filepath.IsAbs(r) {
					t.Fatalf("relative root accepted: %q", r)
				}
			}
		}
	})
}

// TestAgentAllowUnsafeModes: modes that skip approvals need an explicit
// per-agent opt-in; it is off unless set.
func TestAgentAllowUnsafeModes(t *testing.T) {
	cfg, err := Parse([]byte("[agents.claude]\nallow_unsafe_modes = true\n[agents.codex]\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Agents["claude"].AllowUnsafeModes || cfg.Agents["codex"].AllowUnsafeModes {
		t.Errorf("claude %+v, codex %+v", cfg.Agents["claude"], cfg.Agents["codex"])
	}
	if _, err := Parse([]byte("[agents.claude]\nallow_unsafe_modes = \"yes\"\n"), "c.toml"); err == nil {
		t.Error("a string accepted for allow_unsafe_modes")
	}
}

func TestBudgetTable(t *testing.T) {
	cfg, err := Parse([]byte("[budget]\nsession_usd = 2.5\nday_tokens = 1000000\nproject_usd = 0\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Budget
	if b.SessionUSD == nil || *b.SessionUSD != 2.5 || b.DayTokens == nil || *b.DayTokens != 1000000 ||
		b.ProjectUSD == nil || *b.ProjectUSD != 0 || b.SessionTokens != nil || b.DayUSD != nil || b.ProjectTokens != nil {
		t.Errorf("budget: %+v", b)
	}
	if _, err := Parse([]byte("[budget]\nday_usd = -1\n"), "c.toml"); err == nil || !strings.Contains(err.Error(), "day_usd") {
		t.Errorf("negative cap: %v", err)
	}
	if _, err := Parse([]byte("[budget]\nweek_usd = 1\n"), "c.toml"); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestServerRemoteKeys(t *testing.T) {
	cfg, err := Parse([]byte("[server]\nremote = true\ntrusted_proxies = [\"127.0.0.1\", \"100.64.0.0/10\"]\n"), "c.toml")
	if err != nil || !cfg.Server.Remote || len(cfg.Server.TrustedProxies) != 2 {
		t.Fatalf("%+v %v", cfg.Server, err)
	}
	cfg, err = Parse([]byte("[server]\ntls_cert = \"/a.crt\"\ntls_key = \"/a.key\"\n"), "c.toml")
	if err != nil || !cfg.Server.Remote || cfg.Server.TLSKey != "/a.key" {
		t.Fatalf("%+v %v", cfg.Server, err)
	}
	for _, bad := range []string{"[server]\ntls_cert = \"/a.crt\"\n", "[server]\ntrusted_proxies = [\"proxy.local\"]\n"} {
		if _, err := Parse([]byte(bad), "c.toml"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
