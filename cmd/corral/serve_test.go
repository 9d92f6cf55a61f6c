package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/internal/proctest"
)

func TestIsLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:0": true, "localhost:80": true, "[::1]:9": true, "127.1.2.3:5": true,
		"0.0.0.0:80": false, "192.168.1.2:80": false, "[::]:1": false,
	} {
		got, err := isLoopbackAddr(addr)
		if err != nil || got != want {
			t.Errorf("%s: %v %v", addr, got, err)
		}
	}
	if _, err := isLoopbackAddr("example.com:80"); err == nil {
		t.Error("host name accepted")
	}
}

func TestLoadTokenIsStable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	a, err := loadToken(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadToken(p)
	if err != nil || a != b {
		t.Fatalf("%q %q %v", a, b, err)
	}
	if fi, _ := os.Stat(p); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	os.WriteFile(p, []byte("short\n"), 0o600)
	if _, err := loadToken(p); err == nil {
		t.Fatal("short token accepted")
	}
}

func TestServeRefusesRemoteWithoutFlag(t *testing.T) {
	var errb bytes.Buffer
	code := runMain(t.Context(), []string{"serve", "--no-open", "--data", t.TempDir(), "--addr", "0.0.0.0:0"}, io.Discard, &errb)
	if code != 2 || !strings.Contains(errb.String(), "--allow-remote") {
		t.Fatalf("code %d: %s", code, errb.String())
	}
}

// TestServeLifecycle starts the real binary, drives a session through the
// API with the fake agent, and stops it with SIGTERM mid-turn: exit 0,
// serve.json gone, no process left.
func TestServeLifecycle(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM")
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mark := proctest.NewMark()
	key, val, _ := strings.Cut(mark, "=")
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[agents.fake]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\", %s = %q }\n",
		exe, fakeagent.EnvVar, key, val)), 0o600)
	data := filepath.Join(dir, "data")
	cmd := corral(t, "serve", "--no-open", "--data", data, "--config", cfg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	t.Cleanup(func() { proctest.RequireGone(t, mark) })

	var si serveInfo
	infoPath := filepath.Join(data, ServeFile)
	for i := 0; ; i++ {
		b, err := os.ReadFile(infoPath)
		if err == nil && json.Unmarshal(b, &si) == nil && si.PID == cmd.Process.Pid {
			break
		}
		if i > 1000 {
			t.Fatalf("no serve.json; stderr: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if fi, _ := os.Stat(infoPath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("serve.json mode %v", fi.Mode())
	}
	if !strings.HasPrefix(si.URL, "http://127.0.0.1:") || !strings.HasSuffix(si.URL, "/#token="+si.Token) || si.Port == 0 {
		t.Fatalf("%+v", si)
	}
	base := strings.SplitN(si.URL, "#", 2)[0]
	call := func(method, body string) (int, string) {
		req, _ := http.NewRequest("POST", base+"api/call/"+method, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+si.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := call("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q}`, dir))
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var created struct {
		Result struct{ ID string }
	}
	json.Unmarshal([]byte(body), &created)
	if code, body = call("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"slow:100000"}`, created.Result.ID)); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	// Wait until the agent is streaming, so the stop happens mid-turn.
	for i := 0; ; i++ {
		_, body = call("GetEvents", fmt.Sprintf(`{"sessionId":%q}`, created.Result.ID))
		if strings.Contains(body, `"kind":"assistant.text"`) {
			break
		}
		if i > 1000 {
			t.Fatalf("no text: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(proctest.Leftovers(mark)) == 0 && runtime.GOOS == "linux" {
		t.Fatal("the agent does not carry the marker; the leftover check would prove nothing")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd.Wait()); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errb.String())
	}
	if _, err := os.Stat(infoPath); !os.IsNotExist(err) {
		t.Fatalf("serve.json left behind: %v", err)
	}
	if !strings.Contains(out.String(), si.URL) {
		t.Fatalf("URL not printed: %q", out.String())
	}
	if left := proctest.WaitGone(mark, 5*time.Second); len(left) > 0 {
		t.Fatalf("processes left: %v", left)
	}
}

func TestDoctorJSON(t *testing.T) {
	var out bytes.Buffer
	code := runMain(t.Context(), []string{"doctor", "--json", "--data", t.TempDir()}, &out, io.Discard)
	var r doctorReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if code != 0 || !r.OK || len(r.Agents) < 3 || !r.Store.OK {
		t.Fatalf("code %d %+v", code, r)
	}
	// A config file that does not parse is a problem, and exit 1.
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[agents.x\n"), 0o600)
	out.Reset()
	code = runMain(t.Context(), []string{"doctor", "--json", "--config", bad, "--data", t.TempDir()}, &out, io.Discard)
	if code != 1 || !strings.Contains(out.String(), `"ok": false`) {
		t.Fatalf("bad config: %d %s", code, out.String())
	}
}
