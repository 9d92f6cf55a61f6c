package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

func ev(kind, runID string, data string) event.Event {
	return event.Event{Kind: kind, SessionID: "s-0123456789", RunID: runID, Data: json.RawMessage(data)}
}

func TestNotificationFor(t *testing.T) {
	cases := []struct {
		name  string
		ev    event.Event
		ok    bool
		title string
		body  string
		key   string
	}{
		{"permission", ev(event.PermissionRequest, "r1", `{"requestId":"q1","tool":"Bash","description":"run ls"}`),
			true, "Approval needed · session s-012345", "Bash: run ls", "perm:q1"},
		{"permission without id", ev(event.PermissionRequest, "r1", `{"tool":"Bash"}`), false, "", "", ""},
		{"turn ok", ev(event.TurnCompleted, "r1", `{"ok":true,"result":"All   done\nnow"}`),
			true, "Run finished · session s-012345", "All done now", "run:r1"},
		{"turn ok without text", ev(event.TurnCompleted, "r1", `{"ok":true}`),
			true, "Run finished · session s-012345", "The agent finished its turn.", "run:r1"},
		{"turn failed", ev(event.TurnCompleted, "r2", `{"ok":false,"error":{"code":"rate_limit","message":"slow down"}}`),
			true, "Run failed · session s-012345", "rate_limit: slow down", "run:r2"},
		{"exit 0", event.Event{Kind: event.RunExited, ProcessID: "p1", Data: json.RawMessage(`{"reason":"exit","code":0}`)},
			true, "Run finished", "Exited successfully.", "proc:p1"},
		{"exit 3 (store shape)", ev(event.RunExited, "r3", `{"reason":"exit","exitCode":3}`),
			true, "Run failed · session s-012345", "Exited with code 3.", "run:r3"},
		{"crash", ev(event.RunExited, "r4", `{"reason":"crashed","signalName":"SIGSEGV"}`),
			true, "Run crashed · session s-012345", "Ended by signal SIGSEGV.", "run:r4"},
		{"spawn failed", ev(event.RunExited, "r5", `{"reason":"spawn-failed","error":"no such file"}`),
			true, "Run could not start · session s-012345", "no such file", "run:r5"},
		{"timeout", ev(event.RunExited, "r6", `{"reason":"timeout","limit":"total"}`),
			true, "Run timed out · session s-012345", "Stopped by the total time limit.", "run:r6"},
		{"stopped on request", ev(event.RunExited, "r7", `{"reason":"killed"}`), false, "", "", ""},
		{"recovered at start-up", ev(event.RunExited, "r8", `{"reason":"corral restarted"}`), false, "", "", ""},
		{"other kinds", ev(event.AssistantText, "r1", `{"text":"hi"}`), false, "", "", ""},
		{"bad data", ev(event.TurnCompleted, "r1", `[`), false, "", "", ""},
	}
	for _, c := range cases {
		n, key, ok := notificationFor(c.ev)
		if ok != c.ok || n.Title != c.title || n.Body != c.body || key != c.key || (ok && n.ID != key) {
			t.Errorf("%s: got %+v key %q ok %v", c.name, n, key, ok)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", 500)
	got := clip(long)
	if r := []rune(got); len(r) != 160 || r[159] != '…' {
		t.Fatalf("clip: %d runes", len(r))
	}
}

func TestNotifierSendsOncePerRun(t *testing.T) {
	var sent []notification
	n := newNotifier(func(x notification) error { sent = append(sent, x); return nil })
	n.observe(ev(event.TurnCompleted, "r1", `{"ok":true}`))
	n.observe(ev(event.RunExited, "r1", `{"reason":"exit","code":0}`)) // same run
	n.observe(ev(event.PermissionRequest, "r1", `{"requestId":"q1","tool":"Bash"}`))
	n.observe(ev(event.PermissionRequest, "r1", `{"requestId":"q1","tool":"Bash"}`)) // replayed
	if len(sent) != 2 || sent[0].Title[:12] != "Run finished" || sent[1].Title[:15] != "Approval needed" {
		t.Fatalf("sent %+v", sent)
	}
	// The memory is bounded: after keyCap other keys the first is forgotten.
	for i := range keyCap {
		n.observe(ev(event.RunExited, "x"+string(rune('A'+i%26))+strings.Repeat("z", i/26), `{"reason":"exit"}`))
	}
	if len(n.seen) != keyCap {
		t.Fatalf("remembers %d keys", len(n.seen))
	}
	before := len(sent)
	n.observe(ev(event.TurnCompleted, "r1", `{"ok":true}`))
	if len(sent) != before+1 {
		t.Fatal("an evicted key was not notified again")
	}
}
