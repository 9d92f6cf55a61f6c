package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/corral-dev/corral/api"
)

func init() {
	register("pair", &command{
		Summary: "pair a phone or another computer with the running corral serve: prints a code and a QR code",
		Run:     pairCommand,
	})
}

// ErrNotServing: no corral serve runs on the data directory.
var ErrNotServing = errors.New("corral serve is not running on this data directory (no serve.json)")

func pairCommand(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("pair", g, stderr)
	asJSON := fs.Bool("json", false, "print {code, url, expiresAt, caFingerprint} as JSON instead of the QR code")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	dir, err := supervisorDataDir(g)
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return 1
	}
	info, err := startPairing(ctx, dir)
	if err != nil {
		fmt.Fprintf(stderr, "corral: %v\n", err)
		return 1
	}
	if *asJSON {
		info.QR = ""
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(info)
		return 0
	}
	printPairing(stdout, info)
	return 0
}

// printPairing shows the QR code of the pairing URL, the URL and the code.
func printPairing(w io.Writer, info api.PairingInfo) {
	if q, err := qrcode.New(info.URL, qrcode.Low); err == nil {
		fmt.Fprint(w, q.ToSmallString(false))
	}
	fmt.Fprintf(w, "\nOpen on the device:  %s\nor enter the code:   %s\n", info.URL, info.Code)
	fmt.Fprintf(w, "valid until %s (%s)\n", info.ExpiresAt.Local().Format("15:04:05"), time.Until(info.ExpiresAt).Round(time.Second))
	if info.CAFingerprint != "" {
		fmt.Fprintf(w, "The device must trust corral's certificate authority (download it at /ca.crt);\nits SHA-256 fingerprint: %s\n", info.CAFingerprint)
	}
}

// startPairing calls StartPairing on the server recorded in dir's
// serve.json, with its per-start token.
func startPairing(ctx context.Context, dir string) (api.PairingInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, ServeFile))
	if errors.Is(err, os.ErrNotExist) {
		return api.PairingInfo{}, ErrNotServing
	}
	if err != nil {
		return api.PairingInfo{}, err
	}
	var si serveInfo
	if err := json.Unmarshal(b, &si); err != nil {
		return api.PairingInfo{}, fmt.Errorf("serve.json: %w", err)
	}
	client, err := serveClient(si)
	if err != nil {
		return api.PairingInfo{}, err
	}
	base := strings.SplitN(si.URL, "#", 2)[0]
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(base, "/")+"/api/call/StartPairing", strings.NewReader("{}"))
	if err != nil {
		return api.PairingInfo{}, err
	}
	req.Header.Set("Authorization", "Bearer "+si.Token)
	resp, err := client.Do(req)
	if err != nil {
		return api.PairingInfo{}, fmt.Errorf("cannot reach corral serve at %s: %w", base, err)
	}
	defer resp.Body.Close()
	var out struct {
		Result api.PairingInfo `json:"result"`
		Error  *api.Error      `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return api.PairingInfo{}, fmt.Errorf("StartPairing: %s: %w", resp.Status, err)
	}
	if out.Error != nil {
		return api.PairingInfo{}, out.Error
	}
	return out.Result, nil
}

// serveClient is an HTTP client for the server of si: over TLS it trusts
// the local CA (serve.json names its file), else the system's roots.
func serveClient(si serveInfo) (*http.Client, error) {
	c := &http.Client{Timeout: 30 * time.Second}
	if si.CACert == "" {
		return c, nil
	}
	pem, err := os.ReadFile(si.CACert)
	if err != nil {
		return nil, fmt.Errorf("the local CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the local CA %s holds no certificate", si.CACert)
	}
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return c, nil
}
