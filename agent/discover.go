package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// CLISpec describes an agent CLI corral knows how to find and install (a
// built-in agent's is its Entry.CLI).
type CLISpec struct {
	Name    string // agent name: claude, codex, gemini
	Command string // executable name
	Package string // npm package
	// Tested is the version the adapter was verified against.
	Tested string
}

// InstallHint is the command that installs spec.
func (s CLISpec) InstallHint() string {
	if s.Package == "" {
		return ""
	}
	return "npm install -g " + s.Package
}

// Found is an installed CLI.
type Found struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Version string `json:"version,omitempty"`
	// Source says where it was found: "absolute", "PATH", "login-shell
	// PATH", or the usual place ("npm prefix", "~/.local/bin", "nvm",
	// "volta", "homebrew", ...).
	Source string `json:"source"`
}

// NotFoundError says a CLI is not installed: which one, where corral
// looked, and how to install it.
type NotFoundError struct {
	CLI      string
	Command  string
	Searched []string
	Install  string
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "agent CLI %q not found (looked for %q in %s)", e.CLI, e.Command, strings.Join(e.Searched, ", "))
	if e.Install != "" {
		fmt.Fprintf(&b, "; install it with: %s", e.Install)
	}
	return b.String()
}

// ErrNotFound matches every *NotFoundError with errors.Is.
var ErrNotFound = errors.New("agent CLI not found")

// Is reports whether target is ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Discoverer finds agent CLIs. The zero value uses the process
// environment; fields can be set to isolate it (tests, a config's env).
// It is safe for concurrent use and caches the login shell's PATH.
type Discoverer struct {
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Home is the user's home directory; empty means os.UserHomeDir.
	Home string
	// ShellTimeout bounds the login shell that reports its PATH (a slow
	// .profile must not stall discovery); 0 means 3 s.
	ShellTimeout time.Duration
	// VersionTimeout bounds `CLI --version`; 0 means 10 s.
	VersionTimeout time.Duration
	// Run runs a program and returns its stdout; nil means os/exec.
	Run func(ctx context.Context, program string, args ...string) ([]byte, error)

	once      sync.Once
	loginPath []string
	loginErr  error
}

func (d *Discoverer) getenv(k string) string {
	if d.Getenv != nil {
		return d.Getenv(k)
	}
	return os.Getenv(k)
}

func (d *Discoverer) home() string {
	if d.Home != "" {
		return d.Home
	}
	h, _ := os.UserHomeDir()
	return h
}

func (d *Discoverer) run(ctx context.Context, program string, args ...string) ([]byte, error) {
	if d.Run != nil {
		return d.Run(ctx, program, args...)
	}
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Stdin = nil
	cmd.WaitDelay = time.Second // a grandchild holding the pipe must not block us
	return cmd.Output()
}

// candidate is a directory to search and the name of the place.
type candidate struct {
	dir, source string
}

// Find locates spec's command: an absolute path as is, else PATH, the login
// shell's PATH, then the usual install places. It reads the version of
// what it finds; a version that cannot be read leaves Version empty.
func (d *Discoverer) Find(ctx context.Context, spec CLISpec) (Found, error) {
	cmd := spec.Command
	if cmd == "" {
		cmd = spec.Name
	}
	var searched []string
	if filepath.IsAbs(cmd) {
		if p, ok := executable(cmd); ok {
			return d.withVersion(ctx, Found{Name: spec.Name, Path: p, Source: "absolute"}), nil
		}
		return Found{}, &NotFoundError{CLI: spec.Name, Command: cmd, Searched: []string{cmd}, Install: spec.InstallHint()}
	}
	seen := map[string]bool{}
	try := func(cands []candidate) (Found, bool) {
		for _, c := range cands {
			if c.dir == "" || seen[c.dir] {
				continue
			}
			seen[c.dir] = true
			if p, ok := executable(filepath.Join(c.dir, cmd)); ok {
				return Found{Name: spec.Name, Path: p, Source: c.source}, true
			}
		}
		return Found{}, false
	}
	if f, ok := try(pathCandidates(d.getenv("PATH"), "PATH")); ok {
		return d.withVersion(ctx, f), nil
	}
	searched = append(searched, "PATH")
	if lp, err := d.LoginShellPATH(ctx); err == nil {
		if f, ok := try(pathCandidates(strings.Join(lp, string(os.PathListSeparator)), "login-shell PATH")); ok {
			return d.withVersion(ctx, f), nil
		}
		searched = append(searched, "login-shell PATH")
	} else {
		searched = append(searched, "login-shell PATH (unavailable: "+err.Error()+")")
	}
	usual := d.usualPlaces(ctx)
	if f, ok := try(usual); ok {
		return d.withVersion(ctx, f), nil
	}
	for _, c := range usual {
		searched = append(searched, c.dir)
	}
	return Found{}, &NotFoundError{CLI: spec.Name, Command: cmd, Searched: searched, Install: spec.InstallHint()}
}

func pathCandidates(path, source string) []candidate {
	var out []candidate
	for _, dir := range filepath.SplitList(path) {
		if dir != "" && filepath.IsAbs(dir) {
			out = append(out, candidate{dir, source})
		}
	}
	return out
}

// LoginShellPATH returns the PATH a login shell sets up ($SHELL -lc), which
// differs from corral's when it was started by a desktop launcher that
// skipped the user's profile. The result is cached; the shell is bounded
// by ShellTimeout.
func (d *Discoverer) LoginShellPATH(ctx context.Context) ([]string, error) {
	d.once.Do(func() {
		shell := d.getenv("SHELL")
		if runtime.GOOS == "windows" || shell == "" {
			d.loginErr = errors.New("no login shell")
			return
		}
		timeout := d.ShellTimeout
		if timeout == 0 {
			timeout = 3 * time.Second
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		// A marker separates PATH from whatever the profile prints.
		out, err := d.run(ctx, shell, "-lc", `printf '\n__CORRAL_PATH__%s\n' "$PATH"`)
		if err != nil {
			d.loginErr = fmt.Errorf("%s -lc: %w", shell, err)
			return
		}
		for _, line := range strings.Split(string(out), "\n") {
			if p, ok := strings.CutPrefix(line, "__CORRAL_PATH__"); ok {
				d.loginPath = filepath.SplitList(strings.TrimSpace(p))
				return
			}
		}
		d.loginErr = errors.New("login shell printed no PATH")
	})
	return d.loginPath, d.loginErr
}

// usualPlaces lists where npm, nvm, volta, Homebrew and friends put
// executables, existing directories only.
func (d *Discoverer) usualPlaces(ctx context.Context) []candidate {
	home := d.home()
	var c []candidate
	add := func(dir, source string) {
		if dir == "" {
			return
		}
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			c = append(c, candidate{dir, source})
		}
	}
	if p := d.getenv("NPM_CONFIG_PREFIX"); p != "" {
		add(npmBin(p), "npm prefix")
	}
	if home != "" {
		add(filepath.Join(home, ".npm-global", "bin"), "npm prefix")
		add(filepath.Join(home, ".npm-packages", "bin"), "npm prefix")
		add(filepath.Join(home, ".local", "bin"), "~/.local/bin")
		add(filepath.Join(home, ".claude", "local"), "claude local install")
		add(filepath.Join(home, ".volta", "bin"), "volta")
		add(filepath.Join(home, ".bun", "bin"), "bun")
		add(filepath.Join(home, ".local", "share", "pnpm"), "pnpm")
		add(filepath.Join(home, "Library", "pnpm"), "pnpm")
		add(filepath.Join(home, "AppData", "Roaming", "npm"), "npm prefix")
		// nvm: newest Node version first.
		nvmDir := d.getenv("NVM_DIR")
		if nvmDir == "" {
			nvmDir = filepath.Join(home, ".nvm")
		}
		vers, _ := filepath.Glob(filepath.Join(nvmDir, "versions", "node", "*", "bin"))
		sort.Sort(sort.Reverse(sort.StringSlice(vers)))
		for _, v := range vers {
			add(v, "nvm")
		}
	}
	add("/opt/homebrew/bin", "homebrew")
	add("/home/linuxbrew/.linuxbrew/bin", "homebrew")
	add("/usr/local/bin", "/usr/local/bin")
	// The npm global prefix costs a Node start, so it is asked last.
	if npm, ok := d.findNpm(c); ok {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if out, err := d.run(ctx, npm, "config", "get", "prefix"); err == nil {
			add(npmBin(strings.TrimSpace(string(out))), "npm prefix")
		}
	}
	return c
}

func (d *Discoverer) findNpm(extra []candidate) (string, bool) {
	for _, c := range append(pathCandidates(d.getenv("PATH"), ""), extra...) {
		if p, ok := executable(filepath.Join(c.dir, "npm")); ok {
			return p, true
		}
	}
	return "", false
}

// npmBin is where npm links global executables under prefix.
func npmBin(prefix string) string {
	if prefix == "" {
		return ""
	}
	if runtime.GOOS == "windows" {
		return prefix
	}
	return filepath.Join(prefix, "bin")
}

var versionRE = regexp.MustCompile(`\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?`)

// ParseVersion extracts the first semantic version from a --version
// output ("2.1.197 (Claude Code)", "codex-cli 0.171.0", "0.61.0").
func ParseVersion(out string) string {
	return versionRE.FindString(out)
}

// Version runs `path --version` (bounded by VersionTimeout) and returns
// the semantic version in its output, or the output's first line when it
// holds none.
func (d *Discoverer) Version(ctx context.Context, path string) (string, error) {
	timeout := d.VersionTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := d.run(ctx, path, "--version")
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", filepath.Base(path), err)
	}
	if v := ParseVersion(string(out)); v != "" {
		return v, nil
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line, nil
}

// withVersion fills f.Version; a version that cannot be read stays empty.
func (d *Discoverer) withVersion(ctx context.Context, f Found) Found {
	f.Version, _ = d.Version(ctx, f.Path)
	return f
}

// Result is the outcome of looking for one CLI.
type Result struct {
	Spec  CLISpec
	Found Found
	Err   error // a *NotFoundError when missing
}

// FindAll looks for each spec (the built-in agents' CLIs when specs is
// empty), in order. The login shell runs at most once for all of them.
func (d *Discoverer) FindAll(ctx context.Context, specs ...CLISpec) []Result {
	if len(specs) == 0 {
		for _, e := range registry {
			if e.Builtin {
				specs = append(specs, e.CLI)
			}
		}
	}
	out := make([]Result, 0, len(specs))
	for _, s := range specs {
		f, err := d.Find(ctx, s)
		out = append(out, Result{Spec: s, Found: f, Err: err})
	}
	return out
}
