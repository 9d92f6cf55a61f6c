package agent

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/corral-dev/corral/event"
)

// An event's typed Payload must not point into the output line it was
// decoded from: the reader reuses that buffer for the next line, while the
// session keeps the payload (a permission request's input goes to the
// store later, on the writer goroutine).
func TestPayloadOutlivesTheLine(t *testing.T) {
	var w bytes.Buffer
	c := codexPrimed(t, &w, 1)
	line := []byte(`{"jsonrpc":"2.0","id":7,"method":"item/permissions/requestApproval","params":{"threadId":"t","turnId":"u","itemId":"i","reason":"needs net","permissions":{"network":true}}}`)
	var evs []event.Event
	c.Decode(Stdout, line, func(e event.Event) { evs = append(evs, e) })
	for i := range line {
		line[i] = 'x' // the reader's next line
	}
	found := false
	for _, e := range evs {
		if e.Payload == nil {
			continue
		}
		got, err := json.Marshal(e.Payload)
		if err != nil {
			t.Fatalf("%s: payload no longer marshals after the line buffer was reused: %v", e.Kind, err)
		}
		if !bytes.Equal(got, e.Data) {
			t.Errorf("%s: payload changed with the line buffer:\n got %s\nwant %s", e.Kind, got, e.Data)
		}
		found = found || e.Kind == event.PermissionRequest
	}
	if !found {
		t.Fatalf("no permission.request among %d events", len(evs))
	}
}
