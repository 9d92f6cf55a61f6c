package fakeagent

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
)

// drive runs Main in-process behind the real Claude adapter and returns a
// function that yields decoded events until one of kind is seen.
func drive(t *testing.T) (agent.Conn, func(kind string) []event.Event, func()) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() { done <- Main(inR, outW); outW.Close() }()
	conn := agent.Claude{}.NewConn(agent.SessionOptions{}, inW, agent.ConnConfig{})
	if err := conn.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	until := func(kind string) []event.Event {
		var evs []event.Event
		for sc.Scan() {
			found := false
			conn.Decode(agent.Stdout, sc.Bytes(), func(ev event.Event) {
				evs = append(evs, ev)
				found = found || ev.Kind == kind
			})
			if found {
				return evs
			}
		}
		t.Fatalf("stream ended before %s; got %d events", kind, len(evs))
		return nil
	}
	stop := func() {
		inW.Close()
		go io.Copy(io.Discard, outR)
		if code := <-done; code != 0 {
			t.Errorf("exit %d", code)
		}
	}
	return conn, until, stop
}

func kinds(evs []event.Event) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e.Kind]++
	}
	return m
}

func TestEchoTurn(t *testing.T) {
	conn, until, stop := drive(t)
	defer stop()
	conn.SendUserTurn("hello there")
	evs := until(event.TurnCompleted)
	k := kinds(evs)
	if k[event.AgentInit] != 1 || k[event.AssistantText] < 3 || k[event.Usage] != 1 {
		t.Fatalf("kinds %v", k)
	}
	var td agent.TurnCompletedData
	json.Unmarshal(evs[len(evs)-1].Data, &td)
	if !td.OK || td.Result != "echo: hello there" || conn.SessionID() != SessionID {
		t.Fatalf("%+v %q", td, conn.SessionID())
	}
}

func TestToolTurnAllowAndDeny(t *testing.T) {
	conn, until, stop := drive(t)
	defer stop()
	for _, allow := range []bool{true, false} {
		conn.SendUserTurn("tool:touch x")
		evs := until(event.PermissionRequest)
		var pr agent.PermissionRequestData
		json.Unmarshal(evs[len(evs)-1].Data, &pr)
		if pr.Tool != "Bash" || pr.RequestID == "" {
			t.Fatalf("%+v", pr)
		}
		if err := conn.RespondPermission(agent.PermissionAnswer{RequestID: pr.RequestID, Allow: allow, Message: "no"}); err != nil {
			t.Fatal(err)
		}
		evs = until(event.TurnCompleted)
		var tr agent.ToolResultData
		for _, e := range evs {
			if e.Kind == event.ToolResult {
				json.Unmarshal(e.Data, &tr)
			}
		}
		if tr.IsError == allow || (allow && tr.Output != "ran: touch x") || (!allow && tr.Output != "denied: no") {
			t.Fatalf("allow=%v result %+v", allow, tr)
		}
	}
}

func TestSlowTurnInterrupt(t *testing.T) {
	conn, until, stop := drive(t)
	defer stop()
	conn.SendUserTurn("slow:100000")
	until(event.AssistantText)
	if err := conn.Interrupt(); err != nil {
		t.Fatal(err)
	}
	evs := until(event.TurnCompleted)
	var td agent.TurnCompletedData
	json.Unmarshal(evs[len(evs)-1].Data, &td)
	if td.OK || td.Error == nil || td.Error.Code != agent.CodeInterrupted {
		t.Fatalf("%+v", td)
	}
}

func TestHostileTurn(t *testing.T) {
	conn, until, stop := drive(t)
	defer stop()
	const base = "http://127.0.0.1:1"
	conn.SendUserTurn(HostilePrefix + base + " <b>title</b>")
	evs := until(event.PermissionRequest)
	var pr agent.PermissionRequestData
	json.Unmarshal(evs[len(evs)-1].Data, &pr)
	if err := conn.RespondPermission(agent.PermissionAnswer{RequestID: pr.RequestID, Allow: true}); err != nil {
		t.Fatal(err)
	}
	evs = append(evs, until(event.TurnCompleted)...)
	k := kinds(evs)
	for kind, n := range map[string]int{event.AgentRetry: 1, event.Stdout: 1, event.ParseError: 1, event.AssistantThinking: 2,
		event.ToolCall: 3, event.ToolResult: 3, event.PermissionRequest: 1} {
		if k[kind] != n {
			t.Errorf("%d %s events, want %d (all: %v)", k[kind], kind, n, k)
		}
	}
	var all strings.Builder
	for _, e := range evs {
		all.Write(e.Data)
		all.Write(e.Raw)
	}
	s := all.String()
	for _, id := range []string{"md-script", "md-link-js", "md-image-http", "think-img", "edit-new", "write-svg", "perm-command", "perm-rule", "tool-out-img", "long-tail", "retry", "parse-error"} {
		if !strings.Contains(s, base+"/hit/"+id) {
			t.Errorf("no payload %s in the events", id)
		}
	}
	if strings.Contains(s, "{act:") || strings.Contains(s, "{L}") {
		t.Error("a template placeholder was left in the output")
	}
	var td agent.TurnCompletedData
	json.Unmarshal(evs[len(evs)-1].Data, &td)
	if td.OK || td.Error == nil || !strings.Contains(td.Error.Message, "<script>"+Act(base, "result-script")+"</script>") {
		t.Fatalf("%+v", td)
	}
	if n := len(hostileLongLine(base)); n != LongLineBytes {
		t.Errorf("the long line has %d bytes, want %d", n, LongLineBytes)
	}
}
