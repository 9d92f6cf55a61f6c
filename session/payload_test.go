package session

import (
	"encoding/json"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
)

// A JSON-lines program's event whose data has a field of another type than
// corral's (here "error" a string, not an object) still counts: the fields
// that decode are acted on, so a turn.completed ends the turn. Only data
// that is not a JSON object at all is refused.
func TestPayloadOfForeignShape(t *testing.T) {
	ev := event.Event{Kind: event.TurnCompleted, Data: json.RawMessage(`{"ok":false,"error":"boom","stopReason":"error"}`)}
	d, err := payload[agent.TurnCompletedData](ev)
	if err != nil {
		t.Fatalf("turn.completed with a string error refused: %v", err)
	}
	if d.OK || d.StopReason != "error" {
		t.Errorf("decoded %+v", d)
	}
	ev.Data = json.RawMessage(`"not an object"`)
	if _, err := payload[agent.TurnCompletedData](ev); err == nil {
		t.Error("data that is not an object accepted")
	}
}
