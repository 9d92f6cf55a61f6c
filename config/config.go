// Package config loads corral's one TOML configuration file: the agents it
// can launch, the capabilities (allow-listed commands) callers may run, and
// server and limit defaults.
//
// Loading is strict: an unknown key is an error that names the key and its
// line, and every duration, byte size, regular expression and path is
// validated when the file is read, so a mistake is reported at start-up and
// never at the moment a command runs. The policy package turns a loaded
// Config (PolicyRules) into the checks every spawn goes through; which
// agent names and protocols exist comes from package agent's registry.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/BurntSushi/toml"
)

// Config is a loaded, validated configuration. The zero value is the empty
// configuration (no agents overridden, no capabilities).
type Config struct {
	// Path is the file the configuration was read from; empty when no file
	// existed and the defaults were used.
	Path string
	// Agents maps an agent name ("claude", "codex", "gemini" or any other
	// name with an explicit protocol) to how it is launched.
	Agents map[string]Agent
	// Capabilities are the allow-listed commands, in file order.
	Capabilities []Capability
	Server       Server
	// Limits are defaults for capabilities that do not set their own.
	Limits   Limits
	Policy   Policy
	Sessions Sessions
	Budget   Budget
	// Attachments are the size limits of files attached to messages.
	Attachments Attachments
}

// Server holds the `[server]` table.
type Server struct {
	// Addr is the listen address for browser mode; empty means
	// 127.0.0.1 on a free port.
	Addr string
	// NoOpen stops `corral serve` from opening a browser.
	NoOpen bool
	// Remote serves over TLS, on any address (docs/remote.md): with the
	// local CA's certificate, or TLSCert/TLSKey.
	Remote bool
	// TLSCert and TLSKey are a certificate and key (PEM files) to serve
	// instead of the local CA's; both or neither. Setting them implies
	// Remote.
	TLSCert, TLSKey string
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-* headers are believed.
	TrustedProxies []string
}

// Policy holds the `[policy]` table.
type Policy struct {
	// SidecarDir is searched for sidecars before the directory of the corral
	// executable. "~" is expanded.
	SidecarDir string
}

// raw* mirror the file; durations and sizes stay untyped until validate
// turns them into values with errors that name the capability and key.
type rawConfig struct {
	Agents     map[string]rawAgent `toml:"agents"`
	Capability []rawCapability     `toml:"capability"`
	Server     rawServer           `toml:"server"`
	Limits     rawLimits           `toml:"limits"`
	Policy     rawPolicy           `toml:"policy"`
	Sessions   rawSessions         `toml:"sessions"`
	Budget     rawBudget           `toml:"budget"`
	Attach     rawAttachments      `toml:"attachments"`
}

type rawServer struct {
	Addr           string   `toml:"addr"`
	NoOpen         bool     `toml:"no_open"`
	Remote         bool     `toml:"remote"`
	TLSCert        string   `toml:"tls_cert"`
	TLSKey         string   `toml:"tls_key"`
	TrustedProxies []string `toml:"trusted_proxies"`
}

type rawPolicy struct {
	SidecarDir string `toml:"sidecar_dir"`
}

// Load reads and validates the configuration at path. An empty path means
// DefaultPath(), and a missing default file yields an empty Config; a
// missing file named explicitly is an error (it wraps fs.ErrNotExist).
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		p, err := DefaultPath()
		if err != nil {
			return &Config{}, nil // no config dir at all: nothing to read
		}
		path = p
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	cfg.Path = path
	return cfg, nil
}

// Parse validates TOML text; name is used in error messages only.
func Parse(data []byte, name string) (*Config, error) {
	var raw rawConfig
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		var uk *unknownArgKeyError
		if errors.As(err, &uk) {
			return nil, fmt.Errorf("%s:%d: unknown key %q in an argument table (allowed: validator, optional, rest)",
				name, findKeyLine(data, toml.Key{uk.key}), uk.key)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, fmt.Errorf("%s:%d: unknown key %q", name, findKeyLine(data, k), k.String())
	}
	home, _ := os.UserHomeDir()
	v := validator{name: name, home: home}
	return v.config(&raw)
}

type validator struct {
	name string
	home string
}

func (v *validator) config(raw *rawConfig) (*Config, error) {
	srv, err := v.server(raw.Server)
	if err != nil {
		return nil, err
	}
	cfg := &Config{Server: srv}
	lim, err := v.limits("[limits]", raw.Limits.rawLimitFields)
	if err != nil {
		return nil, err
	}
	cfg.Limits = lim
	if raw.Limits.MaxProcesses != nil {
		if *raw.Limits.MaxProcesses < 0 {
			return nil, fmt.Errorf("%s: [limits]: max_processes must not be negative", v.name)
		}
		cfg.Limits.MaxProcesses = int(*raw.Limits.MaxProcesses)
	}
	if raw.Policy.SidecarDir != "" {
		d, err := v.dir(raw.Policy.SidecarDir)
		if err != nil {
			return nil, fmt.Errorf("%s: [policy]: sidecar_dir: %v", v.name, err)
		}
		cfg.Policy.SidecarDir = d
	}
	if cfg.Sessions, err = v.sessions(raw.Sessions); err != nil {
		return nil, err
	}
	if cfg.Budget, err = v.budget(raw.Budget); err != nil {
		return nil, err
	}
	if cfg.Attachments, err = v.attachments(raw.Attach); err != nil {
		return nil, err
	}
	if len(raw.Agents) > 0 {
		cfg.Agents = make(map[string]Agent, len(raw.Agents))
	}
	for name, ra := range raw.Agents {
		a, err := v.agent(name, ra)
		if err != nil {
			return nil, err
		}
		cfg.Agents[name] = a
	}
	seen := map[string]bool{}
	for i, rc := range raw.Capability {
		c, err := v.capability(i, rc)
		if err != nil {
			return nil, err
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("%s: capability %q is defined twice", v.name, c.Name)
		}
		seen[c.Name] = true
		cfg.Capabilities = append(cfg.Capabilities, c)
	}
	return cfg, nil
}
