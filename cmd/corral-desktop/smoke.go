//go:build desktop

package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// The smoke mode. When CORRAL_DESKTOP_SMOKE names a file, the app runs
// smoke.js in its window once the page is loaded and writes the probe's
// report there as JSON. The probe only does what a user could do in the
// window (list agents, create a session in a given directory with a given
// agent); it exists so that CI checks the real binary, bindings and page
// together (scripts/desktop-smoke.sh).
const (
	envSmoke      = "CORRAL_DESKTOP_SMOKE"       // report file
	envSmokeAgent = "CORRAL_DESKTOP_SMOKE_AGENT" // agent name to start (default "fake")
	envSmokeCwd   = "CORRAL_DESKTOP_SMOKE_CWD"   // session cwd (default: the data dir)
	envSmokeCap   = "CORRAL_DESKTOP_SMOKE_CAP"   // a capability taking ["hello", WORD] that echoes them (optional)
	envSmokePick  = "CORRAL_DESKTOP_SMOKE_PICK"  // the folder the script chooses in the native picker (optional)
)

//go:embed smoke.js
var smokeJS string

type smokeRun struct {
	started time.Time // when main started
	report  string
	agent   string
	cwd     string
	capab   string // capability for the Execute and Spawn checks ("" skips them)
	pick    string // folder expected from the native picker ("" skips it)

	mu sync.Mutex
	ok bool
}

type smokeCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type smokeReport struct {
	Checks    []smokeCheck `json:"checks"`
	ProbeAt   int64        `json:"probeAt"`   // Unix ms when the probe started (DOM ready)
	ListAt    int64        `json:"listAt"`    // Unix ms when the session list was in the DOM
	PaintedAt int64        `json:"paintedAt"` // Unix ms when the session list was painted
	StartedAt int64        `json:"startedAt"` // Unix ms when main started
	ColdMs    int64        `json:"coldMs"`    // PaintedAt - StartedAt
	Bound     []string     `json:"bound"`
	Shell     []string     `json:"shell"`
	Events    int          `json:"events"`
	SessionID string       `json:"sessionId"`
	Pid       int          `json:"pid"`
}

func smokeFromEnv(started time.Time) *smokeRun {
	p := os.Getenv(envSmoke)
	if p == "" {
		return nil
	}
	s := &smokeRun{started: started, report: p, agent: os.Getenv(envSmokeAgent), cwd: os.Getenv(envSmokeCwd), capab: os.Getenv(envSmokeCap), pick: os.Getenv(envSmokePick)}
	if s.agent == "" {
		s.agent = "fake"
	}
	if s.cwd == "" {
		s.cwd = filepath.Dir(p)
	}
	return s
}

func (s *smokeRun) listen(ctx context.Context, log *slog.Logger) {
	runtime.EventsOn(ctx, "corral:smoke", func(data ...any) {
		if len(data) == 0 {
			return
		}
		b, _ := json.Marshal(data[0])
		var rep smokeReport
		if err := json.Unmarshal(b, &rep); err != nil {
			log.Error("smoke report", "err", err)
			return
		}
		rep.StartedAt = s.started.UnixMilli()
		if rep.PaintedAt > 0 {
			rep.ColdMs = rep.PaintedAt - rep.StartedAt
		}
		rep.Pid = os.Getpid()
		ok := len(rep.Checks) > 0
		for _, c := range rep.Checks {
			ok = ok && c.OK
		}
		s.mu.Lock()
		s.ok = ok
		s.mu.Unlock()
		out, _ := json.MarshalIndent(rep, "", "  ")
		if err := writeFileAtomic(s.report, out); err != nil {
			log.Error("smoke report", "err", err)
		}
		log.Info("smoke probe finished", "passed", ok, "coldMs", rep.ColdMs)
	})
}

func (s *smokeRun) inject(ctx context.Context) {
	cfg, _ := json.Marshal(map[string]string{
		"agent":      s.agent,
		"cwd":        s.cwd,
		"prompt":     "hello from the desktop smoke test",
		"expect":     "echo: hello from the desktop smoke test",
		"capability": s.capab,
		"pick":       s.pick,
	})
	runtime.WindowExecJS(ctx, strings.Replace(smokeJS, "__CFG__", string(cfg), 1))
}

func (s *smokeRun) passed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ok
}
