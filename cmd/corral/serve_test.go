package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/internal/proctest"
)

func TestIsLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:0": true, "localhost:80": true, "[::1]:9": true, "127.1.2.3:5": true,
		"0.0.0.0:80": false, "192.168.1.2:80": false, "[::]:1": false, ":8080": false,
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
	if code != 2 || !strings.Contains(errb.String(), "--remote") {
		t.Fatalf("code %d: %s", code, errb.String())
	}
}

// serveProc is `corral serve` run from this test binary.
type serveProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	out   *bytes.Buffer
	errb  *bytes.Buffer
	info  serveInfo
	base  string
	ipath string
}

// fakeAgentConfig writes a config whose agent "fake" is this binary as the
// fake agent, carrying mark so that leftover checks can find it.
func fakeAgentConfig(t *testing.T, dir, mark string) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	key, val, _ := strings.Cut(mark, "=")
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[agents.fake]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\", %s = %q }\n",
		exe, fakeagent.EnvVar, key, val)), 0o600)
	return cfg
}

func startServe(t *testing.T, data, cfg string, extra ...string) *serveProc {
	t.Helper()
	sp := &serveProc{t: t, out: &bytes.Buffer{}, errb: &bytes.Buffer{}, ipath: filepath.Join(data, ServeFile)}
	sp.cmd = corral(t, append([]string{"serve", "--no-open", "--data", data, "--config", cfg}, extra...)...)
	sp.cmd.Stdout, sp.cmd.Stderr = sp.out, sp.errb
	if err := sp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.cmd.Process.Kill() })
	for i := 0; ; i++ {
		b, err := os.ReadFile(sp.ipath)
		if err == nil && json.Unmarshal(b, &sp.info) == nil && sp.info.PID == sp.cmd.Process.Pid {
			break
		}
		if i > 2000 {
			t.Fatalf("no serve.json; stderr: %s", sp.errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	sp.base = strings.SplitN(sp.info.URL, "#", 2)[0]
	return sp
}

func (sp *serveProc) call(method, body string) (int, string) {
	sp.t.Helper()
	req, _ := http.NewRequest("POST", sp.base+"api/call/"+method, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+sp.info.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sp.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startSlowTurn creates a session and starts a turn that streams until
// interrupted, returning once text has arrived.
func (sp *serveProc) startSlowTurn(cwd string) (sessionID, runID string) {
	sp.t.Helper()
	code, body := sp.call("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q}`, cwd))
	if code != 200 {
		sp.t.Fatalf("%d %s", code, body)
	}
	var created struct{ Result struct{ ID string } }
	json.Unmarshal([]byte(body), &created)
	code, body = sp.call("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"slow:100000"}`, created.Result.ID))
	if code != 200 {
		sp.t.Fatalf("%d %s", code, body)
	}
	var sent struct{ Result struct{ RunID string } }
	json.Unmarshal([]byte(body), &sent)
	for i := 0; ; i++ {
		_, body = sp.call("GetEvents", fmt.Sprintf(`{"sessionId":%q}`, created.Result.ID))
		if strings.Contains(body, `"kind":"assistant.text"`) {
			break
		}
		if i > 2000 {
			sp.t.Fatalf("no text: %s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return created.Result.ID, sent.Result.RunID
}

// TestServeLifecycle starts the real binary, drives a session through the
// API with the fake agent, and stops it with SIGTERM mid-turn: exit 0,
// serve.json gone, no process left.
func TestServeLifecycle(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no SIGTERM to stop corral serve with; its shutdown is covered by the desktop and unit tests")
	}
	dir := t.TempDir()
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	sp := startServe(t, filepath.Join(dir, "data"), fakeAgentConfig(t, dir, mark))
	if fi, _ := os.Stat(sp.ipath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("serve.json mode %v", fi.Mode())
	}
	if !strings.HasPrefix(sp.info.URL, "http://127.0.0.1:") || !strings.HasSuffix(sp.info.URL, "/#token="+sp.info.Token) || sp.info.Port == 0 {
		t.Fatalf("%+v", sp.info)
	}
	sp.startSlowTurn(dir)
	if len(proctest.Leftovers(mark)) == 0 && runtime.GOOS == "linux" {
		t.Fatal("the agent does not carry the marker; the leftover check would prove nothing")
	}
	sp.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, sp.cmd.Wait()); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, sp.errb.String())
	}
	if _, err := os.Stat(sp.ipath); !os.IsNotExist(err) {
		t.Fatalf("serve.json left behind: %v", err)
	}
	if !strings.Contains(sp.out.String(), sp.info.URL) {
		t.Fatalf("URL not printed: %q", sp.out.String())
	}
	if left := proctest.WaitGone(mark, 5*time.Second); len(left) > 0 {
		t.Fatalf("processes left: %v", left)
	}
}

// TestServeRecoversAfterSIGKILL kills corral mid-turn: the agent does not
// outlive it, and the next start recovers the session (interrupted, the
// run with exactly one terminal event) and replays what a client missed.
func TestServeRecoversAfterSIGKILL(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the watchdog and leftover checks are exercised on Linux")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mark := proctest.NewMark()
	t.Cleanup(func() { proctest.RequireGone(t, mark) })
	cfg := fakeAgentConfig(t, dir, mark)
	sp := startServe(t, data, cfg)
	sessionID, runID := sp.startSlowTurn(dir)
	// What a client had seen before the crash.
	_, body := sp.call("GetEvents", fmt.Sprintf(`{"sessionId":%q}`, sessionID))
	var page struct {
		Result struct{ Events []event.Event }
	}
	json.Unmarshal([]byte(body), &page)
	seen := page.Result.Events[len(page.Result.Events)-1].Cursor

	sp.cmd.Process.Kill()
	sp.cmd.Wait()
	if left := proctest.WaitGone(mark, 10*time.Second); len(left) > 0 {
		t.Fatalf("the agent outlived a SIGKILLed corral: %v", left)
	}

	sp2 := startServe(t, data, cfg)
	_, body = sp2.call("GetSession", fmt.Sprintf(`{"sessionId":%q}`, sessionID))
	if !strings.Contains(body, `"status":"interrupted"`) {
		t.Fatalf("not recovered: %s", body)
	}
	req, _ := http.NewRequest("GET", sp2.base+"api/events?session="+sessionID, nil)
	req.Header.Set("Authorization", "Bearer "+sp2.info.Token)
	req.Header.Set("Last-Event-ID", fmt.Sprint(seen))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	last, terminal, restarted := seen, 0, false
	for terminal == 0 || !restarted {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(line, "id: "):
			var id int64
			fmt.Sscan(line[4:], &id)
			// The stream may open with an id-only frame naming its resume
			// point, which is the client's own last id; events follow it.
			if id < last || id == last && last != seen {
				t.Fatalf("id %d after %d", id, last)
			}
			last = id
		case strings.HasPrefix(line, "data: ") && last <= seen:
			t.Fatalf("an event with id %d was sent again to a client that had seen %d", last, seen)
		case strings.HasPrefix(line, "data: "):
			var ev event.Event
			json.Unmarshal([]byte(line[6:]), &ev)
			if ev.Kind == event.RunExited && ev.RunID == runID {
				terminal++
			}
			restarted = restarted || (ev.Kind == event.SessionStatus && strings.Contains(line, "restarted"))
		}
	}
	// The whole log holds exactly one terminal event for the run.
	_, body = sp2.call("GetEvents", fmt.Sprintf(`{"sessionId":%q}`, sessionID))
	json.Unmarshal([]byte(body), &page)
	terminal = 0
	for _, ev := range page.Result.Events {
		if ev.Kind == event.RunExited && ev.RunID == runID {
			terminal++
		}
	}
	if terminal != 1 {
		t.Fatalf("run %s: %d terminal events", runID, terminal)
	}
	cancel()
	sp2.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, sp2.cmd.Wait()); code != 0 {
		t.Fatalf("exit %d: %s", code, sp2.errb.String())
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
