package relay

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
)

// TestEventLargerThanMaxPayload: a tool output of 2 MiB (twice the NATS
// server's default max payload) does not stall the Publisher: the hub
// gets that event, its output cut to fit and marked, and every event after
// it.
func TestEventLargerThanMaxPayload(t *testing.T) {
	ns := startNATS(t)
	runner, hub := openSide(t), openSide(t)
	ids := createSessions(t, runner.st, 1)
	log := &logSink{}
	defer func() {
		if t.Failed() {
			log.dump(t)
		}
	}()
	js, err := jetstream.New(ns.connect(t))
	if err != nil {
		t.Fatal(err)
	}
	cons := startHub(t, js, hub, log.logf)
	defer cons.Close()
	nc := ns.connect(t)
	pub := startPublisher(t, nc, runner, log.logf)
	defer pub.Close()

	big := strings.Repeat("0123456789abcdef", 2<<20/16) // 2 MiB
	data, _ := json.Marshal(agent.ToolResultData{ID: "toolu_1", Output: big})
	raw, _ := json.Marshal(map[string]any{"type": "user", "content": big})
	small := []byte(`{"text":"after","delta":true}`)
	if err := runner.st.Append(
		event.Event{SessionID: ids[0], Kind: event.ToolResult, Data: data, Raw: raw},
		event.Event{SessionID: ids[0], Kind: event.AssistantText, Data: small},
	); err != nil {
		t.Fatal(err)
	}
	waitCount(t, hub.st, ids, 2)
	evs := allEvents(t, hub.st, ids[0])
	if len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 2 || string(evs[1].Data) != string(small) {
		t.Fatalf("hub events %d", len(evs))
	}
	var got agent.ToolResultData
	if err := json.Unmarshal(evs[0].Data, &got); err != nil {
		t.Fatalf("the cut event's data is not its type's JSON: %v", err)
	}
	limit := nc.MaxPayload()
	if got.ID != "toolu_1" || len(got.Output) >= len(big) || len(got.Output) > int(limit) ||
		!strings.HasPrefix(got.Output, big[:1000]) || !strings.Contains(got.Output, "cut by the fleet relay") {
		t.Fatalf("cut output: %d bytes, id %q, ends %q", len(got.Output), got.ID, got.Output[max(0, len(got.Output)-80):])
	}
	if len(evs[0].Raw) != 0 {
		t.Fatalf("the raw line (%d bytes) was kept", len(evs[0].Raw))
	}
}

func TestFitEvent(t *testing.T) {
	long := strings.Repeat("é", 5000) // two bytes each: the cut keeps whole runes
	for _, tc := range []struct {
		name   string
		ev     event.Event
		budget int
		check  func(ev event.Event) bool
	}{
		{"fits: unchanged", event.Event{Kind: "x", Data: json.RawMessage(`{"a":"b"}`), Raw: json.RawMessage(`{"r":1}`)}, 1000,
			func(ev event.Event) bool { return string(ev.Raw) == `{"r":1}` && string(ev.Data) == `{"a":"b"}` }},
		{"raw dropped first", event.Event{Kind: "x", Data: json.RawMessage(`{"a":"b"}`), Raw: json.RawMessage(`"` + long + `"`)}, 1000,
			func(ev event.Event) bool { return ev.Raw == nil && string(ev.Data) == `{"a":"b"}` }},
		{"longest string cut", event.Event{Kind: "x", Data: json.RawMessage(`{"n":12345678901234567890,"short":"s","list":["` + long + `"]}`)}, 2000,
			func(ev event.Event) bool {
				var d struct {
					N     json.Number
					Short string
					List  []string
				}
				return json.Unmarshal(ev.Data, &d) == nil && d.N == "12345678901234567890" && d.Short == "s" &&
					len(d.List) == 1 && strings.HasPrefix(d.List[0], "éé") && strings.Contains(d.List[0], "bytes cut by the fleet relay")
			}},
		{"no string to cut", event.Event{Kind: "x", Data: json.RawMessage(`[` + strings.Repeat("1,", 3000) + `1]`)}, 1000,
			func(ev event.Event) bool { return string(ev.Data) == `{"cutByRelay":6003}` }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fitEvent(tc.ev, tc.budget)
			var got event.Event
			if len(b) > tc.budget || json.Unmarshal(b, &got) != nil || !tc.check(got) {
				t.Fatalf("%d bytes (budget %d): %.300s", len(b), tc.budget, b)
			}
		})
	}
}
