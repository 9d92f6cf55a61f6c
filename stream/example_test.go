package stream_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/corral-dev/corral/stream"
)

// Frame a child's output into lines. Progress updates ending in a bare '\r'
// are coalesced, and the bytes after the last newline come at EOF, marked
// Partial.
func ExampleFramer() {
	out := strings.NewReader("first line\r\n10%\r20%\r100%\nno newline at the end")
	f := stream.NewFramer(out, stream.Options{})
	for {
		l, err := f.Next() // l.Bytes is valid until the next call
		if err == io.EOF {
			break
		}
		fmt.Printf("%q progress=%v partial=%v\n", l.Bytes, l.Progress, l.Partial)
	}
	// Output:
	// "first line" progress=false partial=false
	// "100%" progress=false partial=false
	// "no newline at the end" progress=false partial=true
}

// Route a JSON line on its envelope: the fields agent CLIs are told apart
// by, read in one pass that also validates the whole line.
func ExampleDecodeEnvelope() {
	line := []byte(`{"type":"stream_event","event":{"type":"content_block_delta","delta":{"text":"Hi"}},"session_id":"s-1"}`)
	env, err := stream.DecodeEnvelope(line)
	if err != nil {
		fmt.Println("parse error:", err) // report it with the raw line and go on
		return
	}
	fmt.Println(env.Type, env.EventType, env.SessionID)

	_, err = stream.DecodeEnvelope([]byte(`{"type":"assistant","message":`))
	fmt.Println(err)
	// Output:
	// stream_event content_block_delta s-1
	// stream: not a JSON object line: truncated: expected a value at byte 30
}

// Scan a JSON line's top-level members and decode only what is needed.
// The values are validated on the way, so Member and Elements walk them
// without checking them again.
func ExampleScanObject() {
	line := []byte(`{"type":"assistant","message":{"id":"m-1","content":[{"type":"text","text":"Hello"},{"type":"tool_use","name":"Bash"}]}}`)
	var typ, message []byte
	err := stream.ScanObject(line, func(key, value []byte) {
		switch string(key) {
		case "type":
			typ = value
		case "message":
			message = value
		}
	})
	if err != nil {
		fmt.Println("parse error:", err)
		return
	}
	fmt.Printf("type %s, message id %s\n", typ, stream.Member(message, "id"))
	stream.Elements(stream.Member(message, "content"), func(block []byte) bool {
		fmt.Printf("block %s\n", stream.Member(block, "type"))
		return true // false stops the walk
	})
	// Output:
	// type "assistant", message id "m-1"
	// block "text"
	// block "tool_use"
}

// Validate a line: Valid answers as encoding/json.Valid does;
// ValidUTF8JSON also requires UTF-8, so the line can be embedded as is in
// JSON output.
func ExampleValidUTF8JSON() {
	for _, line := range []string{`{"ok":true}`, `{"ok":tru}`, "[\"caf\xe9\"]"} {
		fmt.Println(stream.Valid([]byte(line)), stream.ValidUTF8JSON([]byte(line)))
	}
	// Output:
	// true true
	// false false
	// true false
}
