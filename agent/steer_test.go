package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Steer writes turn/steer naming the running turn, and refuses without one.
func TestCodexSteer(t *testing.T) {
	var w bytes.Buffer
	c := codexPrimed(t, &w, 1)
	if err := c.Steer(UserTurn{Text: "more"}); !errors.Is(err, ErrNotReady) {
		t.Fatalf("steer before the thread: %v", err)
	}
	decodeAll(t, c, [][]byte{[]byte(`{"id":2,"result":{"thread":{"id":"th1","cliVersion":"9"},"model":"m"}}`)})
	if err := c.Steer(UserTurn{Text: "more"}); !errors.Is(err, ErrNotReady) {
		t.Fatalf("steer before turn/started: %v", err)
	}
	decodeAll(t, c, [][]byte{[]byte(`{"method":"turn/started","params":{"threadId":"th1","turn":{"id":"tu1","items":[],"status":"inProgress"}}}`)})
	w.Reset()
	if err := c.Steer(UserTurn{Text: "more"}); err != nil {
		t.Fatal(err)
	}
	var m rpcMessage
	if err := json.Unmarshal([]byte(strings.TrimSpace(w.String())), &m); err != nil {
		t.Fatalf("%q: %v", w.String(), err)
	}
	var p struct {
		ThreadID       string `json:"threadId"`
		ExpectedTurnID string `json:"expectedTurnId"`
		Input          []struct{ Type, Text string }
	}
	json.Unmarshal(m.Params, &p)
	if m.Method != "turn/steer" || p.ThreadID != "th1" || p.ExpectedTurnID != "tu1" || len(p.Input) != 1 || p.Input[0].Text != "more" {
		t.Fatalf("wrote %s", w.String())
	}
	var _ Steerer = c
	if _, ok := Conn(&claudeConn{}).(Steerer); ok {
		t.Fatal("the Claude adapter claims to steer, which its CLI does not do")
	}
	if e, _ := Lookup("codex"); !e.Steer {
		t.Fatal("registry: codex steers")
	}
	if e, _ := Lookup("claude"); e.Steer {
		t.Fatal("registry: claude does not steer")
	}
}
