package fleet

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestHubOnExternalServer runs a NATS server from the keyring's
// ServerConfig (as a cluster's servers would), then a hub on it with
// --nats and the keyring's hub.creds: runners' credentials work there, and
// a removal pushed to it disconnects the runner.
func TestHubOnExternalServer(t *testing.T) {
	data := t.TempDir()
	kr, err := OpenKeyring(filepath.Join(data, "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	conf := filepath.Join(t.TempDir(), "nats.conf")
	body := "listen: 127.0.0.1:-1\njetstream: { store_dir: " + `"` + store + `"` + " }\n" + kr.ServerConfig(filepath.Join(store, "jwt"))
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	opts.NoLog, opts.NoSigs = true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer func() { s.Shutdown(); s.WaitForShutdown() }()
	if !s.ReadyForConnections(30 * time.Second) {
		t.Fatal("server not ready")
	}

	h, err := StartHub(context.Background(), HubOptions{DataDir: data, URL: s.ClientURL(), Creds: kr.CredsPath(HubCredsFile), HeartbeatTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Server() != nil {
		t.Fatal("the hub embedded a server although given a URL")
	}
	creds := addRunner(t, h, "ext")
	r, err := ConnectRunner(RunnerOptions{URL: s.ClientURL(), CredsFile: creds, Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	waitFor(t, "runner online", func() bool { x, ok := runnerByName(h, "ext"); return ok && x.Status == StatusOnline })
	if got := RunningHubURL(h.Keyring); got != s.ClientURL() {
		t.Fatalf("hub.json names %q", got)
	}
	if err := RemoveRunner(context.Background(), h.Keyring, "ext", RunningHubURL(h.Keyring)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the removed runner is still connected")
	}
}
