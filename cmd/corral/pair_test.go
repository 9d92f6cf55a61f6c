package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/internal/certs"
	"github.com/corral-dev/corral/internal/proctest"
)

// TestServeRemotePairsADevice starts `corral serve --remote` on 127.0.0.2,
// pairs with `corral pair --json` and POST /api/pair, and uses the device
// token; the certificate verifies with the CA from the data directory.
func TestServeRemotePairsADevice(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("127.0.0.2 is a loopback address only on Linux")
	}
	dir := t.TempDir()
	mark := proctest.NewMark()
	data := filepath.Join(dir, "data")
	sp := startServe(t, data, fakeAgentConfig(t, dir, mark), "--remote", "--addr", "127.0.0.2:0")
	if !strings.HasPrefix(sp.info.URL, "https://127.0.0.2:") || sp.info.CACert != filepath.Join(data, CertsDir, certs.CACertFile) {
		t.Fatalf("serve.json %+v", sp.info)
	}
	if fi, err := os.Stat(filepath.Join(data, CertsDir, certs.CAKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key: %v %v", fi, err)
	}
	if !strings.Contains(sp.out.String(), "SHA-256 ") {
		t.Fatalf("the CA fingerprint is not printed: %q", sp.out.String())
	}
	pem, _ := os.ReadFile(sp.info.CACert)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()

	var out, errb bytes.Buffer
	if code := runMain(t.Context(), []string{"pair", "--json", "--data", data}, &out, &errb); code != 0 {
		t.Fatalf("corral pair: %d %s", code, errb.String())
	}
	var info api.PairingInfo
	if err := json.Unmarshal(out.Bytes(), &info); err != nil || len(info.Code) != api.PairingCodeLen {
		t.Fatalf("corral pair printed %q: %v", out.String(), err)
	}
	resp, err := client.Post(sp.base+"api/pair", "application/json", strings.NewReader(`{"code":"`+info.Code+`","deviceName":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	var paired api.PairResult
	json.NewDecoder(resp.Body).Decode(&paired)
	resp.Body.Close()
	if resp.StatusCode != 200 || paired.Token == "" {
		t.Fatalf("pair: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", sp.base+"api/call/ListDevices", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+paired.Token)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"current":true`) {
		t.Fatalf("ListDevices with the device token: %d %s", resp.StatusCode, b)
	}
	sp.cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, sp.cmd.Wait()); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, sp.errb.String())
	}
	if left := proctest.WaitGone(mark, 5*time.Second); len(left) > 0 {
		t.Fatalf("processes left: %v", left)
	}
}

// TestServeRemoteWithUserCertificate serves a given certificate and key.
func TestServeRemoteWithUserCertificate(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("127.0.0.2 is a loopback address only on Linux")
	}
	dir := t.TempDir()
	ca, err := certs.LoadOrCreateCA(filepath.Join(dir, "myca"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certs.NewServer(ca, filepath.Join(dir, "myca"), certs.Names{IPs: []net.IP{net.ParseIP("127.0.0.2")}}, nil); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	sp := startServe(t, data, fakeAgentConfig(t, dir, proctest.NewMark()), "--addr", "127.0.0.2:0",
		"--tls-cert", filepath.Join(dir, "myca", certs.ServerCertFile), "--tls-key", filepath.Join(dir, "myca", certs.ServerKeyFile))
	if sp.info.CACert != "" || !strings.HasPrefix(sp.info.URL, "https://") {
		t.Fatalf("serve.json %+v", sp.info)
	}
	if _, err := os.Stat(filepath.Join(data, CertsDir)); !os.IsNotExist(err) {
		t.Fatalf("a local CA was made beside a given certificate: %v", err)
	}
	c, err := tls.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(sp.base, "https://"), "/"), &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	sp.cmd.Process.Signal(syscall.SIGTERM)
	sp.cmd.Wait()
}

func TestPairingHost(t *testing.T) {
	ifs := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("fe80::1"), net.ParseIP("2001:db8::5"), net.ParseIP("192.168.1.5")}
	for bound, want := range map[string]string{
		"10.0.0.7:8443": "10.0.0.7", "0.0.0.0:8443": "192.168.1.5", "[::]:1": "192.168.1.5",
	} {
		if got := pairingHost(bound, ifs); got != want {
			t.Errorf("pairingHost(%s) = %s, want %s", bound, got, want)
		}
	}
	if got := pairingHost("0.0.0.0:1", ifs[:3]); got != "2001:db8::5" {
		t.Errorf("IPv6 only: %s", got)
	}
	if got := pairingHost("0.0.0.0:1", nil); got != "127.0.0.1" {
		t.Errorf("no interfaces: %s", got)
	}
}

func TestPairWithoutServer(t *testing.T) {
	var errb bytes.Buffer
	if code := runMain(t.Context(), []string{"pair", "--data", t.TempDir()}, io.Discard, &errb); code != 1 || !strings.Contains(errb.String(), "not running") {
		t.Fatalf("%d %s", code, errb.String())
	}
}
