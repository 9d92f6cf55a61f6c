package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

func init() {
	benches["pair"] = &bench{Summary: "remote access: the pairing round trip (StartPairing, POST /api/pair, first call) over TLS, and the server's RSS with paired devices each holding an event stream", Run: runBenchPair}
}

// pairReport is the result of `corral-bench pair`.
type pairReport struct {
	Rounds      int       `json:"rounds"`
	RoundTripMs []float64 `json:"roundTripMs"` // sorted
	MedianMs    float64   `json:"medianMs"`
	P90Ms       float64   `json:"p90Ms"`
	Devices     int       `json:"devices"`
	RSSIdleMB   float64   `json:"rssIdleMB"`    // before any pairing
	RSSPairedMB float64   `json:"rssPairedMB"`  // the devices paired, no stream
	RSSStreamMB float64   `json:"rssStreamsMB"` // each device holding an event stream
}

func runBenchPair(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("pair", args, stdout, stderr)
	corral := corralFlag(fs)
	rounds := fs.Int("rounds", 20, "pairings timed, each with a new TLS connection")
	devices := fs.Int("devices", 5, "paired devices holding an event stream for the RSS figure")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *rounds <= 0 || *devices <= 0 {
		fmt.Fprintln(stderr, "corral-bench pair: --rounds and --devices must be positive")
		return 2
	}
	exe, err := findCorral(*corral)
	if err != nil {
		fmt.Fprintf(stderr, "corral-bench pair: %v\n", err)
		return 1
	}
	rep, err := benchPair(ctx, exe, *rounds, *devices, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "corral-bench pair: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return 0
	}
	fmt.Fprintf(stdout, "pairing round trip (StartPairing → POST /api/pair → first call, new TLS connection): median %.1f ms, p90 %.1f ms, max %.1f ms over %d\n",
		rep.MedianMs, rep.P90Ms, rep.RoundTripMs[len(rep.RoundTripMs)-1], rep.Rounds)
	fmt.Fprintf(stdout, "RSS of corral serve --remote: %.1f MB idle, %.1f MB with %d paired devices, %.1f MB with each holding an event stream\n",
		rep.RSSIdleMB, rep.RSSPairedMB, rep.Devices, rep.RSSStreamMB)
	return 0
}

func benchPair(ctx context.Context, exe string, rounds, devices int, stderr io.Writer) (pairReport, error) {
	dir, err := os.MkdirTemp("", "corral-bench-pair-")
	if err != nil {
		return pairReport{}, err
	}
	defer os.RemoveAll(dir)
	srv, err := startBenchServer(exe, dir, stderr, "--remote", "--addr", "127.0.0.1:0")
	if err != nil {
		return pairReport{}, err
	}
	defer srv.stop()
	pem, err := os.ReadFile(srv.caCert)
	if err != nil {
		return pairReport{}, fmt.Errorf("the local CA: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	newClient := func() *http.Client {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	srv.hc = newClient()
	time.Sleep(time.Second)
	rep := pairReport{Rounds: rounds, Devices: devices}
	rss, _ := procStat(srv.pid)
	rep.RSSIdleMB = float64(rss) / (1 << 20)
	var tokens []string
	for i := 0; i < rounds || len(tokens) < devices; i++ {
		c := newClient() // a device's first contact: a new TLS connection
		t0 := time.Now()
		tok, err := pairOnce(srv, c)
		if err != nil {
			return rep, err
		}
		d := time.Since(t0)
		c.CloseIdleConnections()
		if i < rounds {
			rep.RoundTripMs = append(rep.RoundTripMs, float64(d.Microseconds())/1000)
		}
		tokens = append(tokens, tok)
	}
	// keep only the newest devices' tokens for the streams; revoke the others
	var list []struct{ DeviceID string }
	if err := srv.call("ListDevices", struct{}{}, &list); err != nil {
		return rep, err
	}
	for _, d := range list[:len(list)-devices] {
		if err := srv.call("RevokeDevice", map[string]string{"deviceId": d.DeviceID}, nil); err != nil {
			return rep, err
		}
	}
	tokens = tokens[len(tokens)-devices:]
	time.Sleep(time.Second)
	rss, _ = procStat(srv.pid)
	rep.RSSPairedMB = float64(rss) / (1 << 20)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, tok := range tokens {
		if err := holdStream(sctx, srv.url, tok, newClient()); err != nil {
			return rep, err
		}
	}
	time.Sleep(2 * time.Second)
	rss, _ = procStat(srv.pid)
	rep.RSSStreamMB = float64(rss) / (1 << 20)
	sort.Float64s(rep.RoundTripMs)
	rep.MedianMs = rep.RoundTripMs[len(rep.RoundTripMs)/2]
	rep.P90Ms = rep.RoundTripMs[len(rep.RoundTripMs)*9/10]
	return rep, nil
}

// pairOnce starts pairing as the host, pairs as a device with c, and makes
// the device's first authenticated call; it returns the device token.
func pairOnce(srv *benchServer, c *http.Client) (string, error) {
	var info struct{ Code string }
	if err := srv.call("StartPairing", struct{}{}, &info); err != nil {
		return "", err
	}
	resp, err := c.Post(srv.url+"/api/pair", "application/json", strings.NewReader(`{"code":"`+info.Code+`","deviceName":"bench"}`))
	if err != nil {
		return "", err
	}
	var paired struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&paired)
	resp.Body.Close()
	if resp.StatusCode != 200 || paired.Token == "" {
		return "", fmt.Errorf("POST /api/pair: HTTP %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", srv.url+"/api/call/ListSessions", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+paired.Token)
	resp, err = c.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("first call with the device token: HTTP %d", resp.StatusCode)
	}
	return paired.Token, nil
}

// holdStream opens an event stream with tok and reads it in the background
// until ctx ends.
func holdStream(ctx context.Context, base, tok string, c *http.Client) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events?since=now", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return fmt.Errorf("event stream: HTTP %d", resp.StatusCode)
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		resp.Body.Close()
		return errors.New("the event stream did not start")
	}
	go func() {
		defer resp.Body.Close()
		io.Copy(io.Discard, br) // ends when ctx is cancelled
	}()
	return nil
}
