package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/corral-dev/corral/internal/fakeagent"
)

// benchServer is `corral serve` started as a child for the benchmark.
type benchServer struct {
	cmd   *exec.Cmd
	url   string
	token string
	pid   int
	hc    *http.Client
	// caCert is the local CA's file with --remote.
	caCert string
}

// serveInfo is the part of corral's serve.json (in its data directory)
// the benchmark reads.
type serveInfo struct {
	URL    string `json:"url"` // with the token in the fragment
	Token  string `json:"token"`
	PID    int    `json:"pid"`
	CACert string `json:"caCert"` // the local CA, when serving with --remote
}

// startBenchServer starts corral serve on a data directory in dir, with a
// configuration whose one agent, "fake", is this executable re-executed as
// the fake agent, and waits for its serve.json. extra are more flags of
// corral serve.
func startBenchServer(corral, dir string, stderr io.Writer, extra ...string) (*benchServer, error) {
	return startBenchServerEnv(corral, dir, nil, stderr, extra...)
}

// writeFakeConfig writes to path a configuration whose one agent, "fake",
// is this executable re-executed as the fake agent.
func writeFakeConfig(path string) error {
	self, err := selfExe()
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf("[agents.fake]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\" }\n", self, fakeagent.EnvVar)
	return os.WriteFile(path, []byte(cfg), 0o600)
}

// startBenchServerEnv is startBenchServer with env added to the server's
// environment (a later entry wins, so "HOME=..." gives it its own home).
func startBenchServerEnv(corral, dir string, env []string, stderr io.Writer, extra ...string) (*benchServer, error) {
	data := filepath.Join(dir, "data")
	cfgPath := filepath.Join(dir, "config.toml")
	if err := writeFakeConfig(cfgPath); err != nil {
		return nil, err
	}
	cmd := exec.Command(corral, append([]string{"serve", "--no-open", "--data", data, "--config", cfgPath}, extra...)...)
	cmd.Stdout = io.Discard
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{cmd: cmd, pid: cmd.Process.Pid, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join(data, "serve.json"))
		if err == nil {
			var si serveInfo
			if json.Unmarshal(b, &si) == nil && si.PID == s.pid {
				s.url = strings.SplitN(si.URL, "#", 2)[0]
				s.url = strings.TrimSuffix(s.url, "/")
				s.token = si.Token
				s.caCert = si.CACert
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("corral serve did not write serve.json within 20 s")
}

func (s *benchServer) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM) // error ignored: it may be gone
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill() // error ignored: last resort
		return errors.New("corral serve did not stop within 30 s of SIGTERM")
	}
}

func (s *benchServer) call(method string, params any, out any) error {
	b, _ := json.Marshal(params)
	req, _ := http.NewRequest("POST", s.url+"/api/call/"+method, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: HTTP %d: %s", method, resp.StatusCode, body)
	}
	if out != nil {
		var env struct{ Result json.RawMessage }
		if err := json.Unmarshal(body, &env); err != nil {
			return err
		}
		return json.Unmarshal(env.Result, out)
	}
	return nil
}

// procStat returns the RSS (bytes) and the user+system CPU time of pid
// (Linux /proc; zero elsewhere).
func procStat(pid int) (rss int64, cpu time.Duration) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				f := strings.Fields(l)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					rss = kb * 1024
				}
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 {
			f := strings.Fields(s[i+1:])
			if len(f) > 13 {
				ut, _ := strconv.ParseInt(f[11], 10, 64)
				st, _ := strconv.ParseInt(f[12], 10, 64)
				cpu = time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
			}
		}
	}
	return rss, cpu
}
