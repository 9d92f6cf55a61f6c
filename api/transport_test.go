package api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawRequest opens a TCP connection to hs and writes head (a request line
// and headers, without the blank line) and then body bytes.
func rawRequest(t *testing.T, hs *httptest.Server, head, body string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte(head + "\r\n\r\n" + body)); err != nil {
		t.Fatal(err)
	}
	return c
}

// readStatus reads the status line of the response on c, waiting at most a
// generous minute for it.
func readStatus(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(time.Minute))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	return strings.TrimSpace(line)
}

// An unauthenticated POST is answered from its headers: the server does not
// wait for a body it will never use (a client trickling one in would hold
// the connection for as long as it likes).
func TestUnauthorizedBeforeBody(t *testing.T) {
	_, hs := newTestServer(t, &fakeSessions{}, newMemSource(), nil)
	for _, auth := range []string{"", "\r\nAuthorization: Bearer " + strings.Repeat("x", 32)} {
		c := rawRequest(t, hs, "POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000"+auth, `{"a":`)
		if st := readStatus(t, c); !strings.Contains(st, " 401 ") {
			t.Fatalf("status line %q, want 401", st)
		}
	}
	// the same for a foreign Host (403) and an unknown method (404)
	c := rawRequest(t, hs, "POST /api/call/ListSessions HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 1000", "{")
	if st := readStatus(t, c); !strings.Contains(st, " 403 ") {
		t.Fatalf("status line %q, want 403", st)
	}
	c = rawRequest(t, hs, "POST /api/call/Nope HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+testToken+"\r\nContent-Length: 1000", "{")
	if st := readStatus(t, c); !strings.Contains(st, " 404 ") {
		t.Fatalf("status line %q, want 404", st)
	}
}

// The token is accepted only in the Authorization header: a query parameter
// named token or access_token, in any case, is refused even with the right
// header.
func TestTokenInQueryAnyCase(t *testing.T) {
	_, hs := newTestServer(t, &fakeSessions{}, newMemSource(), nil)
	bearer := map[string]string{"Authorization": "Bearer " + testToken}
	for _, q := range []string{"token", "Token", "TOKEN", "tOkEn", "access_token", "Access_Token", "ACCESS_TOKEN", "%54oken"} {
		for _, path := range []string{"/api/call/ListSessions", "/api/events"} {
			method := "POST"
			if path == "/api/events" {
				method = "GET"
			}
			req, _ := http.NewRequest(method, hs.URL+path+"?"+q+"="+testToken, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close() // an event stream that was let through never ends
			if resp.StatusCode != 401 {
				t.Errorf("%s ?%s=: status %d", path, q, resp.StatusCode)
			}
		}
	}
	// a parameter that merely contains the word is not a token
	if code, body, _ := do(t, hs, "POST", "/api/call/ListSessions?tokens=1", "", bearer); code != 200 {
		t.Errorf("?tokens=: status %d, %s", code, body)
	}
}

// Strict parameters: a key that matches a field only case-insensitively, a
// duplicate key (at any depth) and an unknown key are refused.
func TestStrictParams(t *testing.T) {
	fs := &fakeSessions{}
	_, hs := newTestServer(t, fs, newMemSource(), nil)
	bearer := map[string]string{"Authorization": "Bearer " + testToken}
	bad := map[string]string{
		"case-insensitive match": `{"Agent":"claude","cwd":"/tmp"}`,
		"case-insensitive upper": `{"agent":"claude","CWD":"/tmp"}`,
		"duplicate key":          `{"agent":"claude","agent":"codex","cwd":"/tmp"}`,
		"unknown key":            `{"agent":"claude","cwd":"/tmp","colour":1}`,
		"trailing data":          `{"agent":"claude","cwd":"/tmp"} {}`,
	}
	for name, body := range bad {
		code, out, _ := do(t, hs, "POST", "/api/call/CreateSession", body, bearer)
		if code != 400 || !strings.Contains(out, `"code":"invalid_argument"`) {
			t.Errorf("%s: status %d, %s", name, code, out)
		}
	}
	code, out, _ := do(t, hs, "POST", "/api/call/RespondPermission", `{"sessionId":"s1","requestId":"r","allow":true,"updatedInput":{"a":1,"a":2}}`, bearer)
	if code != 400 || !strings.Contains(out, "duplicate") {
		t.Errorf("duplicate inside a nested value: status %d, %s", code, out)
	}
	if code, out, _ := do(t, hs, "POST", "/api/call/CreateSession", `{"agent":"claude","cwd":"/tmp"}`, bearer); code != 200 {
		t.Errorf("exact keys: status %d, %s", code, out)
	}
	code, out, _ = do(t, hs, "POST", "/api/call/RespondPermission", `{"sessionId":"s1","requestId":"r","allow":true,"updatedInput":{"Any":1,"any":2}}`, bearer)
	if code != 200 {
		t.Errorf("free-form keys of a raw value: status %d, %s", code, out)
	}
}

// A call whose body does not arrive within BodyTimeout gets 408 and its
// connection is closed; the token holder's next call is served.
func TestBodyReadDeadline(t *testing.T) {
	_, hs := newTestServer(t, &fakeSessions{}, newMemSource(), func(o *ServerOptions) { o.BodyTimeout = 50 * time.Millisecond })
	c := rawRequest(t, hs, "POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+testToken+"\r\nContent-Length: 100", `{"a":`)
	if st := readStatus(t, c); !strings.Contains(st, " 408 ") {
		t.Fatalf("status line %q, want 408", st)
	}
	// a body that arrives in time, in pieces, is read
	c = rawRequest(t, hs, "POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+testToken+"\r\nContent-Length: 2", "{")
	c.Write([]byte("}"))
	if st := readStatus(t, c); !strings.Contains(st, " 200 ") {
		t.Fatalf("status line %q, want 200", st)
	}
}

// A long call is not cut by the body deadline once its body was read.
func TestBodyDeadlineLiftedAfterRead(t *testing.T) {
	fs := &fakeSessions{}
	a := New(fs, nil)
	_, hs := newTestServer(t, fs, newMemSource(), func(o *ServerOptions) { o.BodyTimeout = 20 * time.Millisecond; o.API = a })
	release := make(chan struct{})
	fs.mu.Lock()
	fs.block = release
	fs.mu.Unlock()
	done := make(chan int, 1)
	go func() {
		code, _, _ := do(t, hs, "POST", "/api/call/ListSessions", "{}", map[string]string{"Authorization": "Bearer " + testToken})
		done <- code
	}()
	// the call is in the backend long after the body deadline passed
	for i := 0; i < 5; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Fatalf("status %d", code)
	}
}

// At most MaxPendingConns connections may sit without having presented
// the token: beyond that the oldest is closed, an authenticated connection
// is never closed for it, and a new connection of the token holder is
// served.
func TestPendingConnCap(t *testing.T) {
	s, err := NewServer(ServerOptions{API: New(&fakeSessions{}, nil), Token: testToken, MaxPendingConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(s)
	s.Configure(hs.Config)
	hs.Start()
	t.Cleanup(hs.Close)
	call := "POST /api/call/ListSessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: 2\r\n\r\n{}"
	// an authenticated keep-alive connection
	authed, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer authed.Close()
	ar := bufio.NewReader(authed)
	readResp := func(r *bufio.Reader) string {
		t.Helper()
		authed.SetReadDeadline(time.Now().Add(time.Minute))
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Status
	}
	authed.Write([]byte(call))
	if st := readResp(ar); !strings.HasPrefix(st, "200") {
		t.Fatalf("first call: %s", st)
	}
	// ten idle connections that never say anything
	var idle []net.Conn
	for i := 0; i < 10; i++ {
		c, err := net.Dial("tcp", hs.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// the first seven are closed by the server (read sees EOF or reset)
	for i, c := range idle[:7] {
		c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("idle connection %d: read data", i)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("idle connection %d was not closed", i)
		}
	}
	if p, ev := s.PendingConns(); p > 3 || ev < 7 {
		t.Errorf("pending %d evicted %d", p, ev)
	}
	// the authenticated connection still works
	authed.Write([]byte(call))
	if st := readResp(ar); !strings.HasPrefix(st, "200") {
		t.Fatalf("call on the authenticated connection: %s", st)
	}
	// and so does a new connection of the token holder
	code, body, _ := do(t, hs, "POST", "/api/call/ListSessions", "{}", map[string]string{"Authorization": "Bearer " + testToken})
	if code != 200 {
		t.Fatalf("new connection: %d %s", code, body)
	}
}

func TestEvictions(t *testing.T) {
	for _, c := range []struct{ pending, max, want int }{{0, 3, 0}, {3, 3, 0}, {4, 3, 1}, {10, 3, 7}, {5, 0, 0}} {
		if got := evictions(c.pending, c.max); got != c.want {
			t.Errorf("evictions(%d, %d) = %d, want %d", c.pending, c.max, got, c.want)
		}
	}
}

// A call without a body (Content-Length 0) gets no body deadline: on a
// kept-alive connection, empty calls follow each other and one that is
// still running when BodyTimeout has passed is not cancelled.
func TestEmptyBodyLeavesNoDeadline(t *testing.T) {
	fs := &fakeSessions{}
	a := New(fs, nil)
	const bodyTimeout = 30 * time.Millisecond
	s, err := NewServer(ServerOptions{API: a, Token: testToken, BodyTimeout: bodyTimeout})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(s)
	s.Configure(hs.Config)
	hs.Start()
	t.Cleanup(hs.Close)
	c, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	call := func(name string) string {
		t.Helper()
		head := "POST /api/call/" + name + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + testToken + "\r\nContent-Length: 0\r\n\r\n"
		if _, err := c.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(time.Minute))
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.Status + " " + string(b)
	}
	if st := call("ListAgents"); !strings.HasPrefix(st, "200") {
		t.Fatalf("empty call: %s", st)
	}
	time.Sleep(3 * bodyTimeout)
	// a later empty call on the same connection that is still running
	// when BodyTimeout has passed
	release := make(chan struct{})
	fs.mu.Lock()
	fs.block = release
	fs.mu.Unlock()
	go func() {
		time.Sleep(5 * bodyTimeout)
		close(release)
	}()
	if st := call("ListSessions"); !strings.HasPrefix(st, "200") {
		t.Fatalf("later call on the kept-alive connection: %s", st)
	}
}
