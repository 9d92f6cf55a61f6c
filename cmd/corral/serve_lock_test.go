package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitExit waits (generously) for a process that should end by itself.
func waitExit(t *testing.T, sp *serveProc) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- sp.cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(t, err)
	case <-time.After(time.Minute):
		t.Fatalf("still running; stderr: %s", sp.errb.String())
		return -1
	}
}

// stopServe stops a corral serve with SIGTERM and checks it exited 0.
func stopServe(t *testing.T, sp *serveProc) {
	t.Helper()
	sp.cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, sp); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, sp.errb.String())
	}
}

// One corral per data directory: a second corral serve on the same data
// directory exits 1 naming the running one (pid and URL) and touches
// nothing — the first keeps its serve.json, its session and its writes.
func TestSecondServeOnSameDataDirExits(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test stops corral serve with SIGTERM, which Windows lacks")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := fakeAgentConfig(t, dir, "CORRAL_TEST_LOCK=1")
	first := startServe(t, data, cfg)
	sid, _ := first.startSlowTurn(dir)

	second := &serveProc{t: t, out: &bytes.Buffer{}, errb: &bytes.Buffer{}}
	second.cmd = corral(t, "serve", "--no-open", "--data", data, "--config", cfg)
	second.cmd.Stdout, second.cmd.Stderr = second.out, second.errb
	if err := second.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, second); code != 1 {
		t.Fatalf("second corral serve: exit %d, want 1; stderr: %s", code, second.errb.String())
	}
	msg := second.errb.String()
	if !strings.Contains(msg, "pid "+strconv.Itoa(first.info.PID)) || !strings.Contains(msg, first.base) {
		t.Errorf("the message does not say where the running corral is: %q", msg)
	}
	if _, err := os.Stat(first.ipath); err != nil {
		t.Fatalf("the first's serve.json is gone: %v", err)
	}
	// the first still writes: its live session is not "corral restarted"
	if code, body := first.call("Interrupt", `{"sessionId":"`+sid+`"}`); code != 200 {
		t.Fatalf("Interrupt on the first: %d %s", code, body)
	}
	if code, body := first.call("CreateSession", `{"agent":"fake","cwd":`+strconv.Quote(dir)+`}`); code != 200 {
		t.Fatalf("CreateSession on the first: %d %s", code, body)
	}
	if _, body := first.call("GetEvents", `{"sessionId":"`+sid+`"}`); strings.Contains(body, "corral restarted") {
		t.Fatalf("the second start recovered the first's session: %s", body)
	}
	stopServe(t, first)
	// once the first is gone, the data directory is free again
	third := startServe(t, data, cfg)
	stopServe(t, third)
}

// A restart keeps the address: the same port (when free) and the same
// token, kept in the data directory with mode 0600; --rotate-token makes a
// new token, and --token-file reads it from a file.
func TestRestartKeepsURLAndToken(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the test stops corral serve with SIGTERM, which Windows lacks")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := fakeAgentConfig(t, dir, "CORRAL_TEST_STABLE=1")
	a := startServe(t, data, cfg)
	stopServe(t, a)
	b := startServe(t, data, cfg)
	if b.info.URL != a.info.URL {
		t.Fatalf("URL changed across a restart: %s -> %s", a.info.URL, b.info.URL)
	}
	if fi, err := os.Stat(filepath.Join(data, TokenFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}
	stopServe(t, b)
	c := startServe(t, data, cfg, "--rotate-token")
	if c.info.Token == a.info.Token || c.info.Port != a.info.Port {
		t.Fatalf("--rotate-token: %+v after %+v", c.info, a.info)
	}
	stopServe(t, c)
	tf := filepath.Join(dir, "tok")
	os.WriteFile(tf, []byte("abcdefghijklmnopqrstuvwxyz012345\n"), 0o600)
	d := startServe(t, data, cfg, "--token-file", tf)
	if d.info.Token != "abcdefghijklmnopqrstuvwxyz012345" {
		t.Fatalf("--token-file: %+v", d.info)
	}
	stopServe(t, d)
}
