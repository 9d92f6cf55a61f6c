package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

func init() {
	register("doctor", &command{
		Summary: "check agents, versions, the store and leftover processes: corral doctor [--json]",
		Run:     runDoctor,
	})
}

// doctorReport is what `corral doctor --json` prints.
type doctorReport struct {
	OK       bool             `json:"ok"`
	Config   doctorCheck      `json:"config"`
	DataDir  doctorCheck      `json:"dataDir"`
	Store    doctorStore      `json:"store"`
	Server   *serveInfoStatus `json:"server,omitempty"`
	Agents   []doctorAgent    `json:"agents"`
	Leftover []doctorLeftover `json:"leftoverProcesses"`
	// Worktrees are the sessions' git worktrees (doctor_worktrees.go).
	Worktrees doctorWorktrees `json:"worktrees"`
	// Containment is how a corral started now would keep each process
	// tree together: "cgroup", or a fallback with the reason.
	Containment supervise.Containment `json:"containment"`
	Problems    []string              `json:"problems"`
}

type doctorCheck struct {
	Path    string `json:"path"`
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"`
}

type doctorStore struct {
	doctorCheck
	SchemaVersion int   `json:"schemaVersion,omitempty"`
	Sessions      int   `json:"sessions"`
	Events        int64 `json:"lastCursor"`
	Bytes         int64 `json:"bytes"`
}

type serveInfoStatus struct {
	URL     string `json:"url"`
	PID     int    `json:"pid"`
	Running bool   `json:"running"`
}

type doctorAgent struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol,omitempty"`
	Command  string `json:"command"`
	Path     string `json:"path,omitempty"`
	Version  string `json:"version,omitempty"`
	// TestedVersion is the version corral's adapter was verified against
	// (built-in agents); VersionCheck compares Version with it: tested,
	// newer or older.
	TestedVersion string             `json:"testedVersion,omitempty"`
	VersionCheck  agent.VersionCheck `json:"versionCheck,omitempty"`
	Status        string             `json:"status"` // ok | missing | error
	Message       string             `json:"message,omitempty"`
	// Found is where a missing agent's CLI was found outside corral's
	// PATH (the login shell's PATH, npm, nvm, volta, Homebrew, ...).
	Found *agent.Found `json:"found,omitempty"`
	// Install is the command that installs a missing built-in agent.
	Install string `json:"install,omitempty"`
	// Credentials is where the agent would find its credentials ("env
	// ANTHROPIC_API_KEY", "file ~/.claude/.credentials.json"), "" when
	// nowhere corral knows of. Never the secret.
	Credentials string `json:"credentials,omitempty"`
}

type doctorLeftover struct {
	PID     int    `json:"pid"`
	Owner   string `json:"owner,omitempty"`
	Command string `json:"command,omitempty"`
	// Alive: the leader runs, or a process is left in the tree's cgroup.
	Alive bool `json:"alive"`
	// Managed: the corral that started it is running; it is that corral's
	// process, not a leftover.
	Managed bool `json:"managed"`
	// Processes counts the live processes of the tree (its cgroup's
	// members, with cgroup containment).
	Processes int    `json:"processes,omitempty"`
	Cgroup    string `json:"cgroup,omitempty"`
}

func runDoctor(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	flags := newFlagSet("doctor", g, stderr)
	asJSON := flags.Bool("json", false, "print the report as JSON")
	if code, ok := parseFlags(flags, args); !ok {
		return code
	}
	r := doctor(ctx, g)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r) // error ignored: stdout
	} else {
		printDoctor(stdout, r)
	}
	if !r.OK {
		return 1
	}
	return 0
}

func doctor(ctx context.Context, g *globals) doctorReport {
	r := doctorReport{Agents: []doctorAgent{}, Leftover: []doctorLeftover{}, Problems: []string{}}
	var cfg *config.Config
	var problems []string
	cfg, r.Config, problems = checkConfig(g.Config)
	r.Problems = append(r.Problems, problems...)

	dataDir := g.Data
	if dataDir == "" {
		dataDir, _ = config.DefaultDataDir()
	}
	r.DataDir = checkDataDir(dataDir)
	if !r.DataDir.OK {
		r.Problems = append(r.Problems, fmt.Sprintf("data directory %s %s", dataDir, r.DataDir.Message))
	}
	r.Store = checkStore(dataDir)
	if !r.Store.OK {
		r.Problems = append(r.Problems, "store: "+r.Store.Message)
	}
	r.Server = readServeInfo(dataDir)

	if pol, err := policy.New(cfg, policy.Options{}); err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("policy: %v", err))
	} else {
		r.Agents, problems = checkAgents(ctx, cfg, pol, &agent.Discoverer{Run: runQuiet})
		r.Problems = append(r.Problems, problems...)
	}

	r.Leftover, problems = checkLeftovers(dataDir)
	r.Problems = append(r.Problems, problems...)
	r.Worktrees, problems = checkWorktrees(ctx, dataDir)
	r.Problems = append(r.Problems, problems...)
	r.Containment = supervise.ProbeContainment(supervise.Config{Subreaper: goruntime.GOOS == "linux"})
	r.OK = len(r.Problems) == 0
	return r
}

// checkConfig loads the configuration named by --config (the default
// path when empty). A configuration that does not load is a problem, and
// the rest of the report uses the defaults.
func checkConfig(path string) (*config.Config, doctorCheck, []string) {
	shown := path
	if shown == "" {
		shown, _ = config.DefaultPath()
	}
	cfg, err := config.Load(path)
	c := doctorCheck{Path: shown, OK: err == nil}
	switch {
	case err != nil:
		c.Message = err.Error()
		return &config.Config{}, c, []string{fmt.Sprintf("configuration: %v", err)}
	case cfg.Path == "":
		c.Message = "no configuration file; using the defaults"
	}
	return cfg, c, nil
}

// checkDataDir says whether corral can keep its data in dir: a missing
// directory is fine (created on first start); one that is not a
// directory or not writable is not OK, and Message says why.
func checkDataDir(dir string) doctorCheck {
	c := doctorCheck{Path: dir, OK: true}
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		c.Message = "does not exist yet (created on first start)"
	case !st.IsDir():
		c.OK, c.Message = false, "is not a directory"
	default:
		f, err := os.CreateTemp(dir, ".doctor-*")
		if err != nil {
			c.OK, c.Message = false, "is not writable: "+err.Error()
			break
		}
		f.Close()
		os.Remove(f.Name())
	}
	return c
}

// checkStore opens the store read-only if it exists and counts what it
// holds.
func checkStore(dataDir string) doctorStore {
	r := doctorStore{doctorCheck: doctorCheck{Path: filepath.Join(dataDir, store.FileName)}}
	if _, err := os.Stat(r.Path); err != nil {
		r.OK, r.Message = true, "no database yet"
		return r
	}
	st, err := store.Open(dataDir, store.Options{})
	if err != nil {
		r.Message = err.Error()
		return r
	}
	defer st.Close()
	r.OK = true
	r.SchemaVersion = store.SchemaVersion()
	if l, err := st.ListSessions(0); err == nil {
		r.Sessions = len(l)
	}
	r.Events, _ = st.LastCursor()
	if fi, err := os.Stat(r.Path); err == nil {
		r.Bytes = fi.Size()
	}
	if st.ReadOnly() {
		r.Message = "read-only"
	}
	return r
}

// readServeInfo reads the serve.json a running (or crashed) `corral
// serve` left in the data directory; nil when there is none.
func readServeInfo(dataDir string) *serveInfoStatus {
	b, err := os.ReadFile(filepath.Join(dataDir, ServeFile))
	if err != nil {
		return nil
	}
	var si serveInfo
	if json.Unmarshal(b, &si) != nil {
		return nil
	}
	return &serveInfoStatus{URL: strings.SplitN(si.URL, "#", 2)[0], PID: si.PID, Running: processAlive(si.PID)}
}

// checkLeftovers lists the process trees in the ledger; a live tree whose
// corral is gone is a problem.
func checkLeftovers(dataDir string) ([]doctorLeftover, []string) {
	out := []doctorLeftover{}
	entries, err := supervise.ListDir(dataDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return out, nil
		}
		return out, []string{fmt.Sprintf("process ledger: %v", err)}
	}
	var problems []string
	for _, st := range supervise.Inspect(entries, 0) {
		e := st.Entry
		l := doctorLeftover{PID: e.Pid, Owner: e.Owner, Command: e.Command, Alive: st.Alive, Managed: processAlive(e.Supervisor),
			Processes: st.Stats.Processes, Cgroup: e.Cgroup}
		out = append(out, l)
		if l.Alive && !l.Managed {
			problems = append(problems, fmt.Sprintf("process %d (%s) is left over from a corral that is not running (%d process(es) in its tree); the next `corral serve` kills it", e.Pid, e.Command, l.Processes))
		}
	}
	return out, problems
}

// signalZero probes a process without affecting it. On Windows finding
// the process already proved it exists.
func signalZero(p *os.Process) error {
	if goruntime.GOOS == "windows" {
		return nil
	}
	return p.Signal(syscall.Signal(0))
}

// processAlive reports whether pid names a live process.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return signalZero(p) == nil
}
