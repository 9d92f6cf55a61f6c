package api

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeRouter owns the sessions named "remote-…" (runner r1) and records
// the calls it routes.
type fakeRouter struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeRouter) Owner(id string) (string, error) {
	if strings.HasPrefix(id, "remote-") {
		return "r1", nil
	}
	return "", nil
}

func (f *fakeRouter) Call(_ context.Context, runner, method string, params []byte) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, runner+" "+method+" "+string(params))
	if f.err != nil {
		return nil, f.err
	}
	return json.RawMessage(`{"runId":"from-runner"}`), nil
}

func TestRouterSendsARunnersSessionMethodsToItsRunner(t *testing.T) {
	fs := &fakeSessions{}
	fr := &fakeRouter{}
	_, hs := newTestServer(t, fs, nil, func(o *ServerOptions) { o.API = New(fs, nil, WithRouter(fr)) })
	auth := map[string]string{"Authorization": "Bearer " + testToken}

	code, body, _ := do(t, hs, "POST", "/api/call/SendMessage", `{"sessionId":"remote-1","text":"hi"}`, auth)
	if code != 200 || !strings.Contains(body, `"from-runner"`) {
		t.Fatalf("routed SendMessage: %d %s", code, body)
	}
	if len(fr.calls) != 1 || fr.calls[0] != `r1 SendMessage {"sessionId":"remote-1","text":"hi"}` {
		t.Fatalf("router calls %q", fr.calls)
	}
	if len(fs.calls) != 0 {
		t.Fatalf("the local backend was called too: %q", fs.calls)
	}

	// A local session stays local.
	code, body, _ = do(t, hs, "POST", "/api/call/SendMessage", `{"sessionId":"s1","text":"hi"}`, auth)
	if code != 200 || len(fs.calls) != 1 || len(fr.calls) != 1 {
		t.Fatalf("local SendMessage: %d %s, local %q, routed %q", code, body, fs.calls, fr.calls)
	}

	// The runner's error keeps its code, and an unreachable runner is
	// runner_offline (503).
	fr.err = &Error{Code: CodeConflict, Message: "busy"}
	code, body, _ = do(t, hs, "POST", "/api/call/Interrupt", `{"sessionId":"remote-1"}`, auth)
	if code != 409 || !strings.Contains(body, `"conflict"`) {
		t.Fatalf("runner error: %d %s", code, body)
	}
	fr.err = &Error{Code: CodeRunnerOffline, Message: "runner r1 is not connected"}
	code, body, _ = do(t, hs, "POST", "/api/call/Interrupt", `{"sessionId":"remote-1"}`, auth)
	if code != 503 || !strings.Contains(body, `"runner_offline"`) {
		t.Fatalf("offline runner: %d %s", code, body)
	}
	// Reading a session of an unreachable runner answers from the hub's
	// replica instead.
	code, body, _ = do(t, hs, "POST", "/api/call/GetSession", `{"sessionId":"remote-1"}`, auth)
	if code == 503 || !slices.Contains(fs.calls, "Get remote-1") {
		t.Fatalf("GetSession of an offline runner's session: %d %s, local calls %q", code, body, fs.calls)
	}
}

func TestRoutableMethods(t *testing.T) {
	table := methodTable(&API{})
	for name, want := range map[string]bool{"SendMessage": true, "RespondPermission": true, "GetSession": true,
		"GetEvents": false, "ListSessions": false, "CreateSession": false} {
		if m := table[name]; m == nil || m.routed != want {
			t.Errorf("%s routed=%v, want %v", name, m != nil && m.routed, want)
		}
	}
}
