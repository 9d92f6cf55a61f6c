package agent

import (
	"bytes"
	"errors"
	"testing"

	"github.com/corral-dev/corral/event"
)

func TestGenericTextMode(t *testing.T) {
	var w bytes.Buffer
	c := Generic{}.NewConn(SessionOptions{}, &w, ConnConfig{Now: fixedNow})
	if err := c.Start(); err != nil || w.Len() != 0 {
		t.Fatal("persistent start wrote something")
	}
	if err := c.SendUserTurn("two\nlines"); err != nil || w.String() != "two lines\n" {
		t.Fatalf("turn %q %v", w.String(), err)
	}
	var evs []event.Event
	c.Decode(Stdout, []byte(`hello {"not":"parsed"}`), func(e event.Event) { evs = append(evs, e) })
	c.Decode(Stdout, []byte("bad \xff"), func(e event.Event) { evs = append(evs, e) })
	c.Decode(Stderr, []byte("warn"), func(e event.Event) { evs = append(evs, e) })
	if evs[0].Kind != event.AssistantText || data[TextData](t, evs[0]).Text != "hello {\"not\":\"parsed\"}\n" ||
		evs[1].Kind != event.AssistantText || evs[2].Kind != event.Stderr {
		t.Fatalf("%v", evs)
	}
	if !errors.Is(c.Interrupt(), ErrSignalRequired) || !errors.Is(c.RespondPermission(PermissionAnswer{}), ErrUnsupported) {
		t.Fatal("generic has no in-band control")
	}
	if (Generic{}).Name() != "text" || (Generic{JSONL: true}).Name() != "jsonl" {
		t.Fatal("names")
	}
}

func TestGenericJSONLMode(t *testing.T) {
	var w bytes.Buffer
	c := Generic{JSONL: true}.NewConn(SessionOptions{}, &w, ConnConfig{Now: fixedNow})
	if err := c.SendUserTurn("hi \"x\""); err != nil || w.String() != `{"text":"hi \"x\"","type":"user"}`+"\n" {
		t.Fatalf("turn %q", w.String())
	}
	nonJSONCases(t, c)
	evs := decodeAll(t, c, [][]byte{
		[]byte(`{"kind":"assistant.text","data":{"text":"native","delta":false}}`),
		[]byte(`{"kind":"session.status","data":{"status":"x"}}`),
		[]byte(`{"progress":0.5}`),
	})
	if evs[0].Kind != event.AssistantText || data[TextData](t, evs[0]).Text != "native" ||
		evs[1].Kind != event.AgentOther || evs[2].Kind != event.AgentOther {
		t.Fatalf("%v", evs)
	}
}

func TestGenericPerTurn(t *testing.T) {
	g := Generic{PerTurnMode: true}
	if _, err := g.Launch(SessionOptions{Program: "x"}, nil); !errors.Is(err, ErrPerTurn) {
		t.Fatal(err)
	}
	if _, err := g.Launch(SessionOptions{}, &Turn{}); !errors.Is(err, ErrNoProgram) {
		t.Fatal(err)
	}
	var w closeRecorder
	c := g.NewConn(SessionOptions{}, &w, ConnConfig{Turn: &Turn{Text: "do it"}})
	if err := c.Start(); err != nil || w.String() != "do it" || !w.closed {
		t.Fatalf("start %q %v %v", w.String(), w.closed, err)
	}
	if !errors.Is(c.SendUserTurn("x"), ErrPerTurn) {
		t.Fatal("per-turn conn took a turn")
	}
}
