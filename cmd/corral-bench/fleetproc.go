package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"
)

// benchRunner is a `corral runner` started for the fleet benchmark, with
// its own HOME, data directory and configuration.
type benchRunner struct {
	name string
	cmd  *exec.Cmd
	pid  int
	home string
	done chan error
}

// startBenchRunner enrols runner name on the hub whose data directory is
// hubData (`corral fleet add`) and starts it against hubURL, its HOME
// under dir; its log goes to runner.log there (kept with --keep).
func startBenchRunner(corral, dir, name, hubData, hubURL string, heartbeat time.Duration) (*benchRunner, error) {
	home := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Join(home, "work"), 0o700); err != nil {
		return nil, err
	}
	creds := filepath.Join(home, name+".creds")
	if out, err := exec.Command(corral, "fleet", "add", name, "--out", creds, "--data", hubData).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("corral fleet add %s: %v: %s", name, err, out)
	}
	cfg := filepath.Join(home, "config.toml")
	if err := writeFakeConfig(cfg); err != nil {
		return nil, err
	}
	cmd := exec.Command(corral, "runner", "--hub", hubURL, "--creds", creds, "--data", filepath.Join(home, "data"),
		"--config", cfg, "--heartbeat", heartbeat.String())
	logf, err := os.Create(filepath.Join(home, "runner.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd.Stdout = io.Discard
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), "HOME="+home)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &benchRunner{name: name, cmd: cmd, pid: cmd.Process.Pid, home: home, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait() }()
	return r, nil
}

// stop sends SIGTERM (the runner stops its agents) and waits; after 30 s
// it kills the runner.
func (r *benchRunner) stop() error {
	r.cmd.Process.Signal(syscall.SIGTERM) // error ignored: it may be gone
	select {
	case err := <-r.done:
		return err
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill() // error ignored: last resort
		<-r.done
		return fmt.Errorf("corral runner %s did not stop within 30 s of SIGTERM", r.name)
	}
}

// hubNATSURL waits, at most limit, for the hub's fleet/hub.json in data
// and returns the URL runners dial.
func hubNATSURL(data string, limit time.Duration) (string, error) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var hub struct{ URL string }
		if b, err := os.ReadFile(filepath.Join(data, "fleet", "hub.json")); err == nil && json.Unmarshal(b, &hub) == nil && hub.URL != "" {
			return hub.URL, nil
		}
	}
	return "", errors.New("the hub did not write fleet/hub.json")
}

// awaitRunnersOnline waits, at most limit, until every name is online on
// the hub with agent "fake".
func awaitRunnersOnline(srv *benchServer, names []string, limit time.Duration) error {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var rows []struct {
			Name, Status string
			Agents       []string
		}
		if err := srv.call("ListRunners", struct{}{}, &rows); err != nil {
			return err
		}
		online := 0
		for _, r := range rows {
			if slices.Contains(names, r.Name) && r.Status == "online" && slices.Contains(r.Agents, "fake") {
				online++
			}
		}
		if online == len(names) {
			return nil
		}
	}
	return fmt.Errorf("runners %v not all online within %v", names, limit)
}

// dirBytes is the size of the files under dir (0 if it does not exist).
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error { // error ignored: a partial sum is reported
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
