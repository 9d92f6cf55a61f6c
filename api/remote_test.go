package api

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/internal/certs"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/session"
)

// remote is a real runtime behind the transport served over TLS on
// 127.0.0.2 (a loopback address other than 127.0.0.1), with a certificate
// from a local CA and paired devices enabled.
type remote struct {
	t       *testing.T
	rt      *session.Runtime
	devices *Devices
	hs      *httptest.Server
	ca      *certs.CA
	client  *http.Client // trusts only the CA
	clock   *testClock
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func startRemote(t *testing.T) *remote {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("no 127.0.0.2 on this system:", err)
	}
	dir := t.TempDir()
	exe, _ := os.Executable()
	cfg, err := config.Parse([]byte(fmt.Sprintf("[agents.fake]\ncommand = %q\nprotocol = \"claude\"\nenv = { %s = \"1\" }\n",
		exe, fakeagent.EnvVar)), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	o := session.RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	rt, err := session.OpenRuntime(context.Background(), dir, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := certs.LoadOrCreateCA(dir + "/certs")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := certs.NewServer(ca, dir+"/certs", certs.MachineNames(ln.Addr().String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Now()}
	devices := NewDevices(rt.Store, DevicesOptions{BaseURL: "https://" + ln.Addr().String(), CAFingerprint: ca.Fingerprint(), Now: clock.Now})
	// loopback is a trusted proxy here, so a test can speak for many
	// client addresses with X-Forwarded-For
	proxies, _ := ParseTrustedProxies([]string{"127.0.0.0/8"})
	srv, err := NewServer(ServerOptions{
		API:    New(rt.Manager, nil, WithDevices(devices)),
		Events: BusSource{rt.Bus}, Token: testToken, Devices: devices, CACert: ca.PEM, TrustedProxies: proxies,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetBoundAddr(ln.Addr().String())
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener.Close()
	hs.Listener = ln
	leaf, _ := cs.GetCertificate(nil)
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{*leaf}}
	srv.Configure(hs.Config)
	hs.StartTLS()
	r := &remote{t: t, rt: rt, devices: devices, hs: hs, ca: ca, clock: clock,
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.2"}}}}
	t.Cleanup(func() {
		r.client.CloseIdleConnections()
		hs.CloseClientConnections()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rt.Close(ctx)
	})
	return r
}

// do sends a request with hdr (a "Host" entry sets the Host header).
func (r *remote) do(method, path, body string, hdr map[string]string) (int, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.hs.URL+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func (r *remote) startPairing() PairingInfo {
	r.t.Helper()
	code, body := r.do("POST", "/api/call/StartPairing", "{}", bearer(testToken))
	if code != 200 {
		r.t.Fatalf("StartPairing: %d %s", code, body)
	}
	var out struct{ Result PairingInfo }
	json.Unmarshal([]byte(body), &out)
	return out.Result
}

func (r *remote) pair(code string, hdr ...map[string]string) (int, PairResult, string) {
	r.t.Helper()
	var h map[string]string
	if len(hdr) > 0 {
		h = hdr[0]
	}
	st, body := r.do("POST", "/api/pair", fmt.Sprintf(`{"code":%q,"deviceName":"phone"}`, code), h)
	var out PairResult
	json.Unmarshal([]byte(body), &out)
	return st, out, body
}

func TestRemoteAuthMatrixOverTLS(t *testing.T) {
	r := startRemote(t)
	origin := r.hs.URL
	cases := []struct {
		name   string
		method string
		path   string
		hdr    map[string]string
		want   int
	}{
		{"host token", "POST", "/api/call/ListSessions", bearer(testToken), 200},
		{"same-origin page", "POST", "/api/call/ListSessions", map[string]string{"Authorization": "Bearer " + testToken, "Origin": origin}, 200},
		{"no token", "POST", "/api/call/ListSessions", nil, 401},
		{"wrong token", "POST", "/api/call/ListSessions", bearer("x" + testToken[1:]), 401},
		{"token in query", "POST", "/api/call/ListSessions?token=" + testToken, bearer(testToken), 401},
		{"token in query, events", "GET", "/api/events?access_token=" + testToken, nil, 401},
		{"foreign Host", "POST", "/api/call/ListSessions", map[string]string{"Authorization": "Bearer " + testToken, "Host": "evil.example"}, 403},
		{"foreign Origin", "POST", "/api/call/ListSessions", map[string]string{"Authorization": "Bearer " + testToken, "Origin": "https://evil.example"}, 403},
		{"plain-http Origin on TLS", "POST", "/api/call/ListSessions", map[string]string{"Authorization": "Bearer " + testToken, "Origin": strings.Replace(origin, "https:", "http:", 1)}, 403},
		{"device token before pairing", "GET", "/api/events", bearer(NewToken()), 401},
		{"CA certificate needs no token", "GET", "/ca.crt", nil, 200},
	}
	for _, tc := range cases {
		if got, body := r.do(tc.method, tc.path, "", tc.hdr); got != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, got, body, tc.want)
		}
	}
	if _, body := r.do("GET", "/ca.crt", "", nil); body != string(r.ca.PEM) {
		t.Errorf("/ca.crt is not the CA certificate: %q", body)
	}
}

func TestRemotePlainHTTPToTLSPortIsRefused(t *testing.T) {
	r := startRemote(t)
	addr := strings.TrimPrefix(r.hs.URL, "https://")
	resp, err := http.Post("http://"+addr+"/api/call/ListSessions", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err) // Go's TLS server answers plain HTTP with a 400
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(b), "result") {
		t.Fatalf("plain HTTP got %d %q", resp.StatusCode, b)
	}
}

func TestRemoteServerCertificateVerifiesWithTheCA(t *testing.T) {
	r := startRemote(t)
	addr := strings.TrimPrefix(r.hs.URL, "https://")
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: r.ca.Pool(), ServerName: "127.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "127.0.0.2"}); err == nil {
		t.Fatal("the certificate verified without the CA")
	}
}

func TestRemotePairingAndRevocation(t *testing.T) {
	r := startRemote(t)
	info := r.startPairing()
	if len(info.Code) != PairingCodeLen || !strings.HasSuffix(info.URL, "/pair#code="+info.Code) ||
		!strings.HasPrefix(info.QR, "data:image/png;base64,") || info.CAFingerprint != r.ca.Fingerprint() {
		t.Fatalf("pairing info %+v", info)
	}
	if st, _, body := r.pair("22222222"); st != 401 {
		t.Fatalf("wrong code: %d %s", st, body)
	}
	st, res, body := r.pair(strings.ToLower(info.Code[:4]) + "-" + info.Code[4:])
	if st != 200 || len(res.Token) < MinTokenLen || res.DeviceID == "" {
		t.Fatalf("pair: %d %s", st, body)
	}
	if st, _, _ := r.pair(info.Code); st != 401 {
		t.Fatalf("a code paired twice: %d", st)
	}
	dev := bearer(res.Token)
	if st, body := r.do("POST", "/api/call/ListDevices", "{}", dev); st != 200 || !strings.Contains(body, `"current":true`) || !strings.Contains(body, `"name":"phone"`) {
		t.Fatalf("ListDevices as the device: %d %s", st, body)
	}
	if st, body := r.do("POST", "/api/call/StartPairing", "{}", dev); st != 403 {
		t.Fatalf("a paired device started pairing: %d %s", st, body)
	}
	// The device holds an event stream; revoking it closes the stream.
	req, _ := http.NewRequest("GET", r.hs.URL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+res.Token)
	resp, err := r.client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("device stream: %v %v", resp, err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, ": corral events") {
		t.Fatalf("stream start %q %v", line, err)
	}
	for r.devices.OpenStreams(res.DeviceID) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if st, body := r.do("POST", "/api/call/RevokeDevice", fmt.Sprintf(`{"deviceId":%q}`, res.DeviceID), bearer(testToken)); st != 200 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, br); done <- err }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the revoked device's event stream stayed open")
	}
	if st, _ := r.do("POST", "/api/call/ListSessions", "{}", dev); st != 401 {
		t.Fatalf("revoked token: %d", st)
	}
	if st, _ := r.do("GET", "/api/events", "", dev); st != 401 {
		t.Fatalf("revoked token, events: %d", st)
	}
}

func TestRemotePairingExpiresAndThrottles(t *testing.T) {
	r := startRemote(t)
	info := r.startPairing()
	r.clock.add(PairingTTL)
	if st, _, body := r.pair(info.Code); st != 401 || !strings.Contains(body, "expired") {
		t.Fatalf("expired code: %d %s", st, body)
	}
	info = r.startPairing()
	for i := 0; i < PairingSourceFailures; i++ {
		if st, _, _ := r.pair("22222222"); st != 401 {
			t.Fatalf("wrong code %d: %d", i, st)
		}
	}
	if st, _, body := r.pair(info.Code); st != 429 {
		t.Fatalf("a throttled address paired: %d %s", st, body)
	}
	r.clock.add(PairingSourceWindow)
	if st, _, body := r.pair(info.Code); st != 200 {
		t.Fatalf("after the wait: %d %s", st, body)
	}
}

func TestRemotePairingLocksAfterTenFailures(t *testing.T) {
	r := startRemote(t)
	info := r.startPairing()
	for i := 0; i < PairingMaxFailures; i++ {
		from := map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}
		if st, _, body := r.pair("22222222", from); st != 401 {
			t.Fatalf("wrong code %d: %d %s", i, st, body)
		}
	}
	if st, _, body := r.pair(info.Code, map[string]string{"X-Forwarded-For": "198.51.100.1"}); st != 429 || !strings.Contains(body, "locked") {
		t.Fatalf("the right code after lock-out: %d %s", st, body)
	}
	// a new window opens again
	info = r.startPairing()
	if st, _, body := r.pair(info.Code, map[string]string{"X-Forwarded-For": "198.51.100.1"}); st != 200 {
		t.Fatalf("a new window after lock-out: %d %s", st, body)
	}
}

func TestPairingLocksAfterTenFailures(t *testing.T) {
	clock := &testClock{now: time.Now()}
	d := NewDevices(nil, DevicesOptions{Now: clock.Now})
	info, err := New(nil, nil, WithDevices(d)).StartPairing(context.Background(), Empty{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < PairingMaxFailures; i++ {
		_, err := d.Pair(context.Background(), fmt.Sprintf("10.0.0.%d", i), PairParams{Code: "22222222"})
		if AsError(err).Code != CodeUnauthorized {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	_, err = d.Pair(context.Background(), "10.0.1.1", PairParams{Code: info.Code})
	if AsError(err).Code != CodeLimitReached {
		t.Fatalf("the right code after lock-out: %v", err)
	}
}

func TestDecidePair(t *testing.T) {
	now := time.Now()
	open := pairing{code: "ABCDEFGH", expires: now.Add(time.Minute)}
	cases := []struct {
		name string
		p    pairing
		src  *sourceFailures
		at   time.Time
		code string
		want pairVerdict
	}{
		{"good", open, nil, now, "ABCDEFGH", pairOK},
		{"typed loosely", open, nil, now, "abcd efgh", pairOK},
		{"wrong", open, nil, now, "ABCDEFGX", pairWrongCode},
		{"none", pairing{}, nil, now, "ABCDEFGH", pairNoWindow},
		{"expired", open, nil, now.Add(time.Minute), "ABCDEFGH", pairExpired},
		{"locked", pairing{code: "ABCDEFGH", expires: now.Add(time.Minute), failures: PairingMaxFailures}, nil, now, "ABCDEFGH", pairLocked},
		{"throttled", open, &sourceFailures{first: now, n: PairingSourceFailures}, now, "ABCDEFGH", pairThrottled},
		{"throttle over", open, &sourceFailures{first: now.Add(-PairingSourceWindow), n: PairingSourceFailures}, now, "ABCDEFGH", pairOK},
	}
	for _, tc := range cases {
		if got := decidePair(&tc.p, tc.src, tc.at, tc.code); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	for i := 0; i < 100; i++ {
		c := newPairingCode()
		if len(c) != PairingCodeLen || strings.Trim(c, PairingAlphabet) != "" {
			t.Fatalf("code %q", c)
		}
	}
}

func TestPairingBase(t *testing.T) {
	for _, tc := range [][3]string{
		{"https://box.tailnet.ts.net", "https://192.168.1.5:8443", "https://box.tailnet.ts.net"},
		{"http://127.0.0.1:8080", "https://192.168.1.5:8443/", "https://192.168.1.5:8443"},
		{"http://localhost:8080", "", "http://localhost:8080"},
	} {
		if got := pairingBase(tc[0], tc[1]); got != tc[2] {
			t.Errorf("pairingBase(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	proxies, err := ParseTrustedProxies([]string{"127.0.0.1", "100.64.0.0/10"})
	if err != nil {
		t.Fatal(err)
	}
	if !proxies[0].Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Fatalf("%v", proxies)
	}
	s, err := NewServer(ServerOptions{API: New(&fakeSessions{}, nil), Token: testToken, TrustedProxies: proxies, AllowedHosts: []string{"box.ts.net"}})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(remote string) *http.Request {
		r := httptest.NewRequest("POST", "/api/call/ListSessions", nil)
		r.RemoteAddr = remote
		r.Host = "127.0.0.1:8080"
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("X-Forwarded-Host", "box.ts.net")
		r.Header.Set("X-Forwarded-For", "203.0.113.9, 100.100.1.1")
		return r
	}
	f := s.forwardedFor(mk("127.0.0.1:5555"))
	if f.origin() != "https://box.ts.net" || f.client != "203.0.113.9" {
		t.Errorf("from the proxy: %+v", f)
	}
	f = s.forwardedFor(mk("192.168.1.9:5555"))
	if f.origin() != "http://127.0.0.1:8080" || f.client != "192.168.1.9" {
		t.Errorf("from elsewhere: %+v", f)
	}
	// Through the proxy, the page's Origin is the proxy's.
	for remote, want := range map[string]int{"127.0.0.1:5555": 200, "192.168.1.9:5555": 403} {
		req := mk(remote)
		req.Header.Set("Origin", "https://box.ts.net")
		req.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("Origin via %s: %d, want %d", remote, w.Code, want)
		}
	}
	if _, err := ParseTrustedProxies([]string{"proxy.local"}); err == nil {
		t.Error("a name accepted as a proxy")
	}
}
