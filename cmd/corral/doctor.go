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
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
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
	Name    string `json:"name"`
	Command string `json:"command"`
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	Status  string `json:"status"` // ok | missing | error
	Message string `json:"message,omitempty"`
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
		enc.Encode(r) //nolint:errcheck // stdout
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
	problem := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }

	cfgPath := g.Config
	if cfgPath == "" {
		cfgPath, _ = config.DefaultPath()
	}
	cfg, err := config.Load(g.Config)
	r.Config = doctorCheck{Path: cfgPath, OK: err == nil}
	if err != nil {
		r.Config.Message = err.Error()
		problem("configuration: %v", err)
		cfg = &config.Config{}
	} else if cfg.Path == "" {
		r.Config.Message = "no configuration file; using the defaults"
	}

	dataDir := g.Data
	if dataDir == "" {
		dataDir, _ = config.DefaultDataDir()
	}
	r.DataDir = doctorCheck{Path: dataDir, OK: true}
	if st, err := os.Stat(dataDir); err != nil {
		r.DataDir.Message = "does not exist yet (created on first start)"
	} else if !st.IsDir() {
		r.DataDir.OK, r.DataDir.Message = false, "is not a directory"
		problem("data directory %s is not a directory", dataDir)
	} else if f, err := os.CreateTemp(dataDir, ".doctor-*"); err != nil {
		r.DataDir.OK, r.DataDir.Message = false, "not writable: "+err.Error()
		problem("data directory %s is not writable", dataDir)
	} else {
		f.Close()
		os.Remove(f.Name())
	}

	r.Store = doctorStore{doctorCheck: doctorCheck{Path: filepath.Join(dataDir, store.FileName)}}
	if _, err := os.Stat(r.Store.Path); err != nil {
		r.Store.OK, r.Store.Message = true, "no database yet"
	} else if st, err := store.Open(dataDir, store.Options{}); err != nil {
		r.Store.Message = err.Error()
		problem("store: %v", err)
	} else {
		r.Store.OK = true
		r.Store.SchemaVersion = store.SchemaVersion()
		if l, err := st.ListSessions(0); err == nil {
			r.Store.Sessions = len(l)
		}
		r.Store.Events, _ = st.LastCursor()
		if fi, err := os.Stat(r.Store.Path); err == nil {
			r.Store.Bytes = fi.Size()
		}
		if st.ReadOnly() {
			r.Store.Message = "read-only"
		}
		st.Close()
	}

	if b, err := os.ReadFile(filepath.Join(dataDir, ServeFile)); err == nil {
		var si serveInfo
		if json.Unmarshal(b, &si) == nil {
			r.Server = &serveInfoStatus{URL: strings.SplitN(si.URL, "#", 2)[0], PID: si.PID, Running: processAlive(si.PID)}
		}
	}

	if pol, err := policy.New(cfg, policy.Options{}); err != nil {
		problem("policy: %v", err)
	} else {
		for _, c := range pol.ListCapabilities() {
			if c.Kind != "agent" {
				continue
			}
			a := doctorAgent{Name: strings.TrimPrefix(c.Name, policy.AgentPrefix), Command: c.ProgramSpec, Path: c.Program, Status: "ok"}
			a.Credentials = credentialSource(cfg, a.Name)
			if !c.Available {
				a.Status, a.Message = "missing", c.Reason
			} else {
				a.Version, err = agentVersion(ctx, c.Program)
				if err != nil {
					a.Status, a.Message = "error", err.Error()
					problem("agent %s: %v", a.Name, err)
				}
			}
			r.Agents = append(r.Agents, a)
		}
	}

	if entries, err := supervise.ListDir(dataDir); err == nil {
		for _, st := range supervise.Inspect(entries, 0) {
			e := st.Entry
			l := doctorLeftover{PID: e.Pid, Owner: e.Owner, Command: e.Command, Alive: st.Alive, Managed: processAlive(e.Supervisor),
				Processes: st.Stats.Processes, Cgroup: e.Cgroup}
			r.Leftover = append(r.Leftover, l)
			if l.Alive && !l.Managed {
				problem("process %d (%s) is left over from a corral that is not running (%d process(es) in its tree); the next `corral serve` kills it", e.Pid, e.Command, l.Processes)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		problem("process ledger: %v", err)
	}
	r.Containment = supervise.ProbeContainment(supervise.Config{Subreaper: goruntime.GOOS == "linux"})
	r.OK = len(r.Problems) == 0
	return r
}

// agentVersion runs `PROGRAM --version` with a short timeout, with only
// PATH and HOME in its environment.
func agentVersion(ctx context.Context, program string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	res, err := proc.Execute(ctx, proc.Spec{Program: program, Args: []string{"--version"}, Env: env}, proc.ExecOptions{MaxStdout: 4096, MaxStderr: 4096})
	if err != nil {
		return "", err
	}
	if res.TimedOut {
		return "", errors.New("--version did not answer within 10 s")
	}
	out := strings.TrimSpace(string(res.Stdout))
	if !res.Success() {
		return "", fmt.Errorf("--version failed (%s): %s", res.ExitStatus, strings.TrimSpace(string(res.Stderr)))
	}
	return strings.SplitN(out, "\n", 2)[0], nil
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

func printDoctor(w io.Writer, r doctorReport) {
	mark := func(ok bool) string {
		if ok {
			return "ok  "
		}
		return "FAIL"
	}
	fmt.Fprintf(w, "%s config     %s", mark(r.Config.OK), r.Config.Path)
	if r.Config.Message != "" {
		fmt.Fprintf(w, " (%s)", r.Config.Message)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s data dir   %s", mark(r.DataDir.OK), r.DataDir.Path)
	if r.DataDir.Message != "" {
		fmt.Fprintf(w, " (%s)", r.DataDir.Message)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s store      %s: %d sessions, cursor %d, %d bytes", mark(r.Store.OK), r.Store.Path, r.Store.Sessions, r.Store.Events, r.Store.Bytes)
	if r.Store.Message != "" {
		fmt.Fprintf(w, " (%s)", r.Store.Message)
	}
	fmt.Fprintln(w)
	if r.Server != nil {
		state := "not running (stale serve.json)"
		if r.Server.Running {
			state = "running"
		}
		fmt.Fprintf(w, "     server     %s pid %d %s\n", r.Server.URL, r.Server.PID, state)
	}
	for _, a := range r.Agents {
		m := mark(a.Status == "ok")
		if a.Status == "missing" {
			m = "--  " // not installed is a choice, not a failure
		}
		fmt.Fprintf(w, "%s agent      %-8s %s", m, a.Name, a.Status)
		if a.Path != "" {
			fmt.Fprintf(w, " %s", a.Path)
		}
		if a.Version != "" {
			fmt.Fprintf(w, " (%s)", a.Version)
		}
		if a.Message != "" {
			fmt.Fprintf(w, ": %s", a.Message)
		}
		if a.Status == "ok" {
			cred := a.Credentials
			if cred == "" {
				cred = "none found"
			}
			fmt.Fprintf(w, " [credentials: %s]", cred)
		}
		fmt.Fprintln(w)
	}
	printContainment(w, r.Containment)
	managed, left := 0, 0
	for _, l := range r.Leftover {
		switch {
		case l.Managed:
			managed++
		case l.Alive:
			left++
		}
	}
	fmt.Fprintf(w, "     processes  %d managed by a running corral, %d left over from a corral that is gone\n", managed, left)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
}

// printContainment prints the containment line: "ok" for cgroups, "--"
// for a fallback (a limit of the machine, not a failure), with the reason.
func printContainment(w io.Writer, c supervise.Containment) {
	m := "ok  "
	if c.Mode != supervise.ContainCgroup && goruntime.GOOS == "linux" {
		m = "--  "
	}
	fmt.Fprintf(w, "%s containment %s", m, c.Mode)
	if c.Cgroup != "" {
		fmt.Fprintf(w, " (one cgroup per process tree below %s)", c.Cgroup)
	}
	if c.Reason != "" {
		fmt.Fprintf(w, " (no cgroups: %s)", c.Reason)
	}
	fmt.Fprintln(w)
}

// credentialSource is where agent name would find its credentials with
// the environment corral passes it (agent.CredentialSource).
func credentialSource(cfg *config.Config, name string) string {
	a, ok := cfg.Agents[name]
	if !ok {
		a = config.Agent{Protocol: name}
	}
	if a.Protocol == "" {
		a.Protocol = name
	}
	if !a.NoDefaultEnv {
		a.PassEnv = append(agent.DefaultPassEnv(a.Protocol), a.PassEnv...)
	}
	home, _ := os.UserHomeDir()
	return agent.CredentialSource(a.Protocol, policy.AgentEnv(a, os.Environ()), home)
}
