package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/supervise"
)

func init() {
	register("ps", &command{
		Summary: "list the processes corral manages: state, uptime, CPU, memory",
		Run:     psCommand,
	})
}

// supervisorDataDir is --data, or the default data directory.
func supervisorDataDir(g *globals) (string, error) {
	if g.Data != "" {
		return g.Data, nil
	}
	return config.DefaultDataDir()
}

// psRow is one line of `corral ps --json`.
type psRow struct {
	ID         string    `json:"id"`
	Pid        int       `json:"pid"`
	State      string    `json:"state"`
	Owner      string    `json:"owner"`
	Command    string    `json:"command"`
	Started    time.Time `json:"started"`
	UptimeSec  float64   `json:"uptimeSec"`
	CPUPercent float64   `json:"cpuPercent"`
	RSS        uint64    `json:"rss"`
	Processes  int       `json:"processes"`
	Corral     int       `json:"corralPid"`
}

func psCommand(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ps", g, stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per process")
	window := fs.Duration("window", 250*time.Millisecond, "CPU is measured over this `duration`")
	all := fs.Bool("all", false, "also list recorded processes that are gone")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dir, err := supervisorDataDir(g)
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return 1
	}
	// Until the API serves live data, the ledger and the operating system
	// are the source: every corral process records there what it runs.
	entries, err := supervise.ListDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return 1
	}
	now := time.Now()
	var rows []psRow
	for _, st := range supervise.Inspect(entries, *window) {
		state := "running"
		switch {
		case !st.Alive:
			state = "gone"
		case st.Orphaned:
			state = "orphaned"
		}
		if state == "gone" && !*all {
			continue
		}
		e := st.Entry
		rows = append(rows, psRow{
			ID: e.ID, Pid: e.Pid, State: state, Owner: e.Owner, Command: e.Command,
			Started: e.Added, UptimeSec: now.Sub(e.Added).Seconds(),
			CPUPercent: st.Stats.CPUPercent, RSS: st.Stats.RSS, Processes: st.Stats.Processes,
			Corral: e.Supervisor,
		})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Started.Before(rows[j].Started) })
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			enc.Encode(r)
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPID\tSTATE\tUPTIME\tCPU%\tRSS\tPROCS\tOWNER\tCOMMAND")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.1f\t%s\t%d\t%s\t%s\n", r.ID, r.Pid, r.State,
			formatUptime(time.Duration(r.UptimeSec*float64(time.Second))), r.CPUPercent, formatBytes(r.RSS),
			r.Processes, dash(r.Owner), truncate(r.Command, 60))
	}
	tw.Flush()
	return 0
}

func formatUptime(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func formatBytes(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.0fK", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%dB", b)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
