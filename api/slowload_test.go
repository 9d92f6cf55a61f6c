package api

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
)

// A request with a body to the frontend (which needs no token) is answered
// without waiting for the body: net/http would otherwise read up to
// 256 KiB of it before writing the answer, at whatever pace the client
// sends it, and the connection would stay held for as long as it likes.
func TestStaticAnswersBeforeBody(t *testing.T) {
	static := fstest.MapFS{"index.html": {Data: []byte("<html></html>")}}
	_, hs := newTestServer(t, &fakeSessions{}, newMemSource(), func(o *ServerOptions) { o.Static = static })
	for _, c := range []struct{ head, want string }{
		{"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", " 405 "},
		{"PUT /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked", " 405 "},
		{"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", " 200 "},
		{"GET /nope.js HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", " 404 "},
	} {
		conn := rawRequest(t, hs, c.head, "{")
		if st := readStatus(t, conn); !strings.Contains(st, c.want) {
			t.Errorf("%q: status line %q, want%s", strings.SplitN(c.head, "\r\n", 2)[0], st, c.want)
		}
	}
}

func TestPendingCap(t *testing.T) {
	for _, c := range []struct {
		max    int
		nofile uint64
		want   int
	}{{256, 0, 256}, {256, 20000, 256}, {256, 1024, 256}, {256, 1000, 250}, {256, 256, 64}, {256, 8, 4}, {2, 0, 2}, {2, 8, 2}, {3, 1 << 40, 3}} {
		if got := pendingCap(c.max, c.nofile); got != c.want {
			t.Errorf("pendingCap(%d, %d) = %d, want %d", c.max, c.nofile, got, c.want)
		}
	}
}

// newGuardedServer serves s through an http.Server configured by
// s.Configure, as corral serve does, after hook (if any) set its own
// fields. accepted counts the connections the server accepted.
func newGuardedServer(t *testing.T, o ServerOptions, hook func(*http.Server)) (s *Server, hs *httptest.Server, accepted *atomic.Int64) {
	t.Helper()
	if o.API == nil {
		o.API = New(&fakeSessions{}, nil)
	}
	o.Token = testToken
	s, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	hs = httptest.NewUnstartedServer(s)
	accepted = new(atomic.Int64)
	hs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			accepted.Add(1)
		}
	}
	if hook != nil {
		hook(hs.Config)
	}
	s.Configure(hs.Config)
	hs.Start()
	t.Cleanup(hs.Close)
	return s, hs, accepted
}

// waitAccepted waits (a generous minute at most) until the server has
// accepted n connections.
func waitAccepted(t *testing.T, accepted *atomic.Int64, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for accepted.Load() < int64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("the server accepted %d connections, want %d", accepted.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dialIdle opens n connections that send nothing.
func dialIdle(t *testing.T, hs *httptest.Server, n int) []net.Conn {
	t.Helper()
	var cs []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", hs.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return cs
}

// With a small open-files limit, the pending connections are capped at a
// quarter of it, below MaxPendingConns, and the token holder is served.
func TestPendingCapFollowsOpenFilesLimit(t *testing.T) {
	s, hs, accepted := newGuardedServer(t, ServerOptions{MaxPendingConns: 256, OpenFilesLimit: func() uint64 { return 40 }}, nil)
	dialIdle(t, hs, 30)
	waitAccepted(t, accepted, 30)
	if p, ev := s.PendingConns(); p > 10 || ev < 20 {
		t.Errorf("pending %d evicted %d, want at most 10 pending", p, ev)
	}
	code, body, _ := do(t, hs, "POST", "/api/call/ListSessions", "{}", map[string]string{"Authorization": "Bearer " + testToken})
	if code != 200 {
		t.Fatalf("the token holder: %d %s", code, body)
	}
}

// The token holder is served while hundreds of unauthenticated connections
// trickle (240 of them): bodies without a token or with a wrong one, headers that never
// end, a body to the frontend. Its connection opened before the flood
// keeps working, and so does a new one.
func TestTokenHolderServedDuringSlowFlood(t *testing.T) {
	// Headers that never end are held as long as the test needs (not
	// the default 10 s).
	s, hs, accepted := newGuardedServer(t, ServerOptions{}, func(h *http.Server) { h.ReadHeaderTimeout = time.Hour })
	bearer := map[string]string{"Authorization": "Bearer " + testToken}
	authed, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer authed.Close()
	ar := bufio.NewReader(authed)
	call := "POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: 2\r\n\r\n{}"
	authedCall := func() string {
		t.Helper()
		authed.Write([]byte(call))
		authed.SetReadDeadline(time.Now().Add(time.Minute))
		resp, err := http.ReadResponse(ar, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Status
	}
	if st := authedCall(); !strings.HasPrefix(st, "200") {
		t.Fatalf("before the flood: %s", st)
	}
	heads := []string{
		"POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{",
		"POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + strings.Repeat("x", 32) + "\r\nContent-Length: 1000\r\n\r\n{",
		"POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: a",
		"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{",
	}
	const n = 240 // under the cap of 256: none is evicted, the slow headers stay held
	for i, c := range dialIdle(t, hs, n) {
		if _, err := c.Write([]byte(heads[i%len(heads)])); err != nil {
			t.Fatal(err)
		}
	}
	waitAccepted(t, accepted, n+1)
	// the ones whose headers never end are held (they are under the cap)
	if p, ev := s.PendingConns(); p < n/len(heads) || p > 256 || ev != 0 {
		t.Errorf("%d connections pending, %d evicted; want %d to %d pending", p, ev, n/len(heads), 256)
	}
	for i := 0; i < 5; i++ {
		if code, body, _ := do(t, hs, "POST", "/api/call/ListSessions", "{}", bearer); code != 200 {
			t.Fatalf("new connection of the token holder: %d %s", code, body)
		}
		if st := authedCall(); !strings.HasPrefix(st, "200") {
			t.Fatalf("the connection from before the flood: %s", st)
		}
	}
}

// Keys are compared after JSON unescaping: an escaped spelling of a key is
// the same key (a duplicate), and an escaped spelling that matches a field
// only when case is ignored, or through Unicode case folding (the long s
// for s, which encoding/json folds), is refused like any such key.
func TestStrictParamsEscapedKeys(t *testing.T) {
	_, hs := newTestServer(t, &fakeSessions{}, newMemSource(), nil)
	bearer := map[string]string{"Authorization": "Bearer " + testToken}
	for name, body := range map[string]string{
		"escaped duplicate":      `{"agent":"claude","\u0061gent":"codex","cwd":"/tmp"}`,
		"escaped case fold":      `{"\u0041gent":"claude","cwd":"/tmp"}`,
		"long s for s":           `{"agent":"claude","cwd":"/tmp","permi\u017fsionMode":"default"}`,
		"nested escaped dup":     `{"sessionId":"s1","requestId":"r","allow":true,"updatedInput":{"a":1,"\u0061":2}}`,
		"duplicate of a raw key": `{"sessionId":"s1","sessionId":"s2","requestId":"r","allow":true}`,
	} {
		method := "CreateSession"
		if strings.Contains(body, "requestId") {
			method = "RespondPermission"
		}
		code, out, _ := do(t, hs, "POST", "/api/call/"+method, body, bearer)
		if code != 400 || !strings.Contains(out, `"code":"invalid_argument"`) {
			t.Errorf("%s: status %d, %s", name, code, out)
		}
	}
}
