package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/internal/fakeagent"
	"github.com/corral-dev/corral/push"
	"github.com/corral-dev/corral/push/pushtest"
	"github.com/corral-dev/corral/session"
)

// startPushE2E is startE2E with Web Push on: VAPID keys in dir, the
// service watching the runtime's bus.
func startPushE2E(t *testing.T, dir string) (*e2e, *push.Service) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
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
	keys, err := push.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := push.New(push.Options{Keys: keys, Store: rt.Store, Name: func(context.Context, string) string { return "proj" }})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Watch(context.Background(), rt.Bus); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerOptions{
		API:    New(rt.Manager, ProcessService{Policy: rt.Policy, Supervisor: rt.Supervisor}, WithPush(svc)),
		Events: BusSource{rt.Bus}, Token: testToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &e2e{t: t, rt: rt, srv: srv, hs: httptest.NewServer(srv)}, svc
}

// nextPush waits for the endpoint's next message and decodes it.
func nextPush(t *testing.T, ep *pushtest.Endpoint) (push.Message, pushtest.Push) {
	t.Helper()
	select {
	case p := <-ep.Received:
		if p.Err != nil {
			t.Fatalf("push: %v", p.Err)
		}
		var m push.Message
		if err := json.Unmarshal(p.Payload, &m); err != nil {
			t.Fatalf("payload %q: %v", p.Payload, err)
		}
		return m, p
	case <-time.After(60 * time.Second):
		t.Fatal("no push within a minute")
	}
	panic("unreachable")
}

// TestPushEndToEnd: a browser subscribes through the API; a fake agent's
// permission request and turn end reach the test push service encrypted
// (RFC 8291), which decrypts them itself; the device's event choice
// filters; a 410 answer drops the subscription.
func TestPushEndToEnd(t *testing.T) {
	dir := t.TempDir()
	e, svc := startPushE2E(t, dir)
	defer e.close()
	defer svc.Close()
	if fi, err := os.Stat(dir + "/" + push.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", fi, err)
	}

	var cfg PushConfig
	e.call("GetPushConfig", Empty{}, &cfg)
	if !cfg.Supported || cfg.PublicKey != svc.PublicKey() {
		t.Fatalf("config %+v", cfg)
	}
	ep := pushtest.NewEndpoint(cfg.PublicKey)
	defer ep.Close()
	e.call("SubscribePush", map[string]any{"subscription": map[string]any{"endpoint": ep.URL(), "expirationTime": nil,
		"keys": map[string]any{"p256dh": ep.Browser.P256dh(), "auth": ep.Browser.Auth()}}}, nil)

	var sess session.Info
	e.call("CreateSession", map[string]any{"agent": "fake", "cwd": t.TempDir()}, &sess)
	ask := func(cmd string) push.Message {
		t.Helper()
		e.call("SendMessage", map[string]any{"sessionId": sess.ID, "text": "tool:" + cmd}, nil)
		m, p := nextPush(t, ep)
		if m.Kind != push.KindPermission || m.SessionID != sess.ID || m.RequestID == "" || m.Body != "Bash in proj" {
			t.Fatalf("first push %+v, want a permission request of %s", m, sess.ID)
		}
		if u := p.Header.Get("Urgency"); u != "high" {
			t.Fatalf("permission push Urgency %q, want high", u)
		}
		return m
	}
	m := ask("echo one")
	e.call("RespondPermission", map[string]any{"sessionId": sess.ID, "requestId": m.RequestID, "allow": true}, nil)
	if m, p := nextPush(t, ep); m.Kind != push.KindDone || m.SessionID != sess.ID || p.Header.Get("Urgency") != "normal" {
		t.Fatalf("push after the answer %+v (Urgency %q), want done", m, p.Header.Get("Urgency"))
	}

	// Only permission requests from now on: the turn's end is not pushed,
	// so the next push is the next request.
	var set PushSettings
	e.call("SetPushSettings", map[string]any{"events": []string{"permission"}}, &set)
	if len(set.Events) != 1 || set.Events[0] != "permission" {
		t.Fatalf("settings %+v", set)
	}
	m = ask("echo two")
	e.call("RespondPermission", map[string]any{"sessionId": sess.ID, "requestId": m.RequestID, "allow": true}, nil)
	waitIdle(t, e, sess.ID)
	ep.SetStatus(http.StatusGone)
	m3 := ask("echo three")
	if m3.RequestID == m.RequestID {
		t.Fatalf("the same request twice: %+v", m3)
	}
	// The 410 answer drops the subscription.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list PushSubscriptionsResult
		e.call("ListPushSubscriptions", Empty{}, &list)
		if len(list.Subscriptions) == 0 && list.DeviceID == "host" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription still listed after 410: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.call("RespondPermission", map[string]any{"sessionId": sess.ID, "requestId": m3.RequestID, "allow": false}, nil)
}

// waitIdle waits until the session's turn is over.
func waitIdle(t *testing.T, e *e2e, id string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var in session.Info
		e.call("GetSession", map[string]any{"sessionId": id}, &in)
		if in.Status == session.Idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still %s", in.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPushMethods: validation, unsubscribing, per-device settings, and the
// answer of a build without push.
func TestPushMethods(t *testing.T) {
	e, svc := startPushE2E(t, t.TempDir())
	defer e.close()
	defer svc.Close()
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	b := pushtest.NewBrowser()
	for _, bad := range []string{
		`{"subscription":{"endpoint":"http://push.example/x","keys":{"p256dh":"` + b.P256dh() + `","auth":"` + b.Auth() + `"}}}`,
		`{"subscription":{"endpoint":"https://push.example/x","keys":{"p256dh":"AAAA","auth":"` + b.Auth() + `"}}}`,
		`{"subscription":{"endpoint":"https://push.example/x","keys":{"p256dh":"` + b.P256dh() + `","auth":"AAAA"}}}`,
		`{"subscription":{"endpoint":"https://push.example/x","keys":{"p256dh":"` + b.P256dh() + `","auth":"` + b.Auth() + `"}},"events":["nope"]}`,
	} {
		code, body, _ := do(t, e.hs, "POST", "/api/call/SubscribePush", bad, auth)
		if code != 400 {
			t.Errorf("%s: %d %s, want 400", bad, code, body)
		}
	}
	sub := map[string]any{"endpoint": "https://push.example/x", "keys": map[string]any{"p256dh": b.P256dh() + "=", "auth": b.Auth()}}
	e.call("SubscribePush", map[string]any{"subscription": sub, "events": []string{"error", "permission", "error"}}, nil)
	var list PushSubscriptionsResult
	e.call("ListPushSubscriptions", Empty{}, &list)
	if len(list.Subscriptions) != 1 || list.Subscriptions[0].Endpoint != "https://push.example/x" ||
		fmt.Sprint(list.Events) != "[permission error]" {
		t.Fatalf("list %+v", list)
	}
	var un UnsubscribePushResult
	e.call("UnsubscribePush", map[string]any{"endpoint": "https://push.example/x"}, &un)
	if !un.Removed {
		t.Fatal("not removed")
	}
	e.call("UnsubscribePush", map[string]any{"endpoint": "https://push.example/x"}, &un)
	if un.Removed {
		t.Fatal("removed twice")
	}

	// Without the service: supported false, the rest "not available".
	hs := httptest.NewServer(mustServer(t, New(&fakeSessions{}, nil)))
	defer hs.Close()
	code, body, _ := do(t, hs, "POST", "/api/call/GetPushConfig", `{}`, auth)
	if code != 200 || body != `{"result":{"publicKey":"","supported":false}}`+"\n" {
		t.Fatalf("GetPushConfig without push: %d %q", code, body)
	}
	if code, _, _ := do(t, hs, "POST", "/api/call/ListPushSubscriptions", `{}`, auth); code != 500 {
		t.Fatalf("ListPushSubscriptions without push: %d", code)
	}
}

func mustServer(t *testing.T, a *API) *Server {
	t.Helper()
	s, err := NewServer(ServerOptions{API: a, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStaticPWAFiles: the manifest and the service worker are served with
// the types a browser requires, the worker never cached stale, and the CSP
// lets the page register a same-origin worker (worker-src falls back to
// script-src, then default-src).
func TestStaticPWAFiles(t *testing.T) {
	static := fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html>")},
		"manifest.webmanifest": {Data: []byte(`{"name":"corral"}`)},
		"sw.js":                {Data: []byte("self.addEventListener('fetch',()=>{})")},
	}
	s, err := NewServer(ServerOptions{API: New(&fakeSessions{}, nil), Token: testToken, Static: static})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	for path, want := range map[string]string{"/manifest.webmanifest": "application/manifest+json", "/sw.js": "text/javascript; charset=utf-8"} {
		code, _, h := do(t, hs, "GET", path, "", nil)
		if code != 200 || h.Get("Content-Type") != want || h.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q %q, want 200 %q no-cache", path, code, h.Get("Content-Type"), h.Get("Cache-Control"), want)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "worker-src 'none'") {
			t.Errorf("%s: CSP %q does not allow a same-origin worker", path, csp)
		}
	}
}
