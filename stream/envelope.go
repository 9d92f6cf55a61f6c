package stream

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"strconv"
	"sync/atomic"
)

// Envelope holds the routing fields of one JSON line: the few fields an
// agent adapter needs to decide what a line is, before (and often instead
// of) decoding it fully. It covers Claude Code stream-json (type, subtype,
// session_id, uuid, parent_tool_use_id, request_id, request.subtype,
// response.subtype/request_id, event.type), Codex --json (type, thread_id,
// item.type, item.id), Gemini stream-json (type, session_id, role) and
// JSON-RPC 2.0 / ACP (jsonrpc, id, method, presence of result and error).
//
// A field is empty when its key is absent or its value is not a JSON string
// (for example "parent_tool_use_id": null). When a key appears more than
// once the last occurrence wins, as with encoding/json. Keys match exactly
// (case-sensitive) after unescaping. String values are unescaped, and
// invalid UTF-8 in them is replaced by U+FFFD exactly as encoding/json does;
// Raw keeps the original bytes.
type Envelope struct {
	Type    string // "type"
	Subtype string // "subtype"

	SessionID       string // "session_id" (Claude, Gemini)
	UUID            string // "uuid" (Claude)
	ParentToolUseID string // "parent_tool_use_id" (Claude; set inside subagents)
	RequestID       string // "request_id" (Claude control_request, control_cancel_request, assistant)
	ThreadID        string // "thread_id" (Codex thread.started)
	Role            string // "role" (Gemini message)

	EventType         string // "event"."type" (Claude stream_event: message_start, content_block_delta, ...)
	ItemType          string // "item"."type" (Codex: agent_message, command_execution, ...)
	ItemID            string // "item"."id" (Codex)
	RequestSubtype    string // "request"."subtype" (Claude control_request: can_use_tool, ...)
	ResponseSubtype   string // "response"."subtype" (Claude control_response: success, error)
	ResponseRequestID string // "response"."request_id" (Claude control_response)

	JSONRPC string // "jsonrpc"
	// ID is the raw JSON of "id" (a number, a string with its quotes, or
	// null), aliasing the line; nil when there is no "id" key. JSON-RPC ids
	// must be echoed back exactly, so they are not converted.
	ID        []byte
	Method    string // "method"
	HasResult bool   // a "result" key is present (JSON-RPC response; Claude result lines)
	HasError  bool   // an "error" key is present (JSON-RPC error; Claude API-error messages)

	// Raw is the whole input line. It aliases the caller's buffer: with a
	// Framer it is valid only until the next call to Next.
	Raw []byte
}

// SyntaxError reports a line that is not one complete JSON object.
type SyntaxError struct {
	Offset int    // byte offset in the line where the problem was found
	Msg    string // what was wrong
}

func (e *SyntaxError) Error() string {
	return "stream: not a JSON object line: " + e.Msg + " at byte " + strconv.Itoa(e.Offset)
}

// DecodeEnvelope validates line as exactly one JSON object (surrounding JSON
// whitespace allowed) and returns its routing fields. It accepts the same
// objects encoding/json.Valid accepts and rejects everything else — other
// JSON values, truncated or malformed JSON, trailing data — with a
// *SyntaxError. An error concerns this line only: the caller reports it
// (corral emits a parse.error event carrying the raw line) and goes on with
// the next line.
//
// DecodeEnvelope makes one pass over the line, skipping values it does not
// route on (validating them as it goes). It builds no map; it allocates
// only strings it returns, and not even those when they repeat across
// lines (types, session ids: see the intern table). Only values that need
// unescaping go through encoding/json.
func DecodeEnvelope(line []byte) (Envelope, error) {
	env := Envelope{Raw: line}
	i := skipSpace(line, 0)
	if i == len(line) || line[i] != '{' {
		if i == len(line) {
			return Envelope{}, errAt(line, i, "empty line")
		}
		return Envelope{}, errAt(line, i, "line does not start with '{'")
	}
	i, err := decodeObject(line, i, &env, objTop)
	if err != nil {
		return Envelope{}, err
	}
	if i = skipSpace(line, i); i != len(line) {
		return Envelope{}, errAt(line, i, "data after the JSON object")
	}
	return env, nil
}

// Objects whose fields are routed on.
const (
	objTop = iota
	objEvent
	objItem
	objRequest
	objResponse
	objNone
)

// decodeObject parses the object starting at b[i] == '{' (top level or
// one of the routed nested objects, both at depth <= 2) and returns the
// index after its '}'.
func decodeObject(b []byte, i int, env *Envelope, kind int) (int, error) {
	depth := 1
	if kind != objTop {
		depth = 2
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errAt(b, i, "expected a string key")
		}
		key, end, err := objectKey(b, i)
		if err != nil {
			return 0, err
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return 0, errAt(b, i, "expected ':' after a key")
		}
		if i = skipSpace(b, i+1); i >= len(b) {
			return 0, errAt(b, i, "truncated: expected a value")
		}
		if i, err = env.member(b, i, depth, kind, key); err != nil {
			return 0, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, errAt(b, i, "truncated: object not closed")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errAt(b, i, "expected ',' or '}' in object")
		}
	}
}

// member reads the value at b[i] of the member key of an object of the
// given kind at depth, and returns the index after the value.
func (env *Envelope) member(b []byte, i, depth, kind int, key []byte) (int, error) {
	target, sub := env.field(kind, key)
	var err error
	switch {
	case target != nil:
		if b[i] == '"' {
			var s string
			if s, i, err = stringValue(b, i, env.interned(target)); err != nil {
				return 0, err
			}
			*target = s
			return i, nil
		}
		*target = ""
	case sub == subID:
		start := i
		if i, err = skip(b, i, depth); err != nil {
			return 0, err
		}
		env.ID = b[start:i]
		return i, nil
	case sub == subResult:
		env.HasResult = true
	case sub == subError:
		env.HasError = true
	case sub != objNone:
		env.reset(sub)
		if b[i] == '{' {
			return decodeObject(b, i, env, sub)
		}
	}
	return skip(b, i, depth)
}

// skip validates and skips the value at b[i] inside depth open
// containers.
func skip(b []byte, i, depth int) (int, error) {
	j := skipValue(b, i, depth, 0)
	if j < 0 {
		return 0, errAt(b, ^j, "")
	}
	return j, nil
}

// objectKey reads the key starting at b[i] == '"' and returns it,
// unescaped when it holds escapes (rare: then it is a copy), with the index
// after its closing quote.
func objectKey(b []byte, i int) (key []byte, end int, err error) {
	ke, esc := scanString(b, i+1, 0)
	if ke < 0 {
		return nil, 0, errAt(b, ^ke, "")
	}
	key = b[i+1 : ke]
	if esc {
		unesc, err := unquote(b, i, ke+1)
		if err != nil {
			return nil, 0, err
		}
		key = []byte(unesc)
	}
	return key, ke + 1, nil
}

// Markers returned by field for keys that are not plain string fields.
const (
	subID = 100 + iota
	subResult
	subError
)

// interned reports whether values of the field at p repeat across lines
// (types, subtypes, session ids) and are worth interning. Unique values
// such as uuid are not: they would only churn the table.
func (e *Envelope) interned(p *string) bool {
	switch p {
	case &e.UUID, &e.RequestID, &e.ItemID, &e.ResponseRequestID:
		return false
	}
	return true
}

// field maps a key of an object of the given kind to the string field it
// fills, or to a nested object kind or marker. (A switch on string(key)
// neither allocates nor copies.)
func (e *Envelope) field(kind int, key []byte) (*string, int) {
	switch kind {
	case objTop:
		switch string(key) {
		case "type":
			return &e.Type, objNone
		case "subtype":
			return &e.Subtype, objNone
		case "session_id":
			return &e.SessionID, objNone
		case "uuid":
			return &e.UUID, objNone
		case "parent_tool_use_id":
			return &e.ParentToolUseID, objNone
		case "request_id":
			return &e.RequestID, objNone
		case "thread_id":
			return &e.ThreadID, objNone
		case "role":
			return &e.Role, objNone
		case "jsonrpc":
			return &e.JSONRPC, objNone
		case "method":
			return &e.Method, objNone
		case "id":
			return nil, subID
		case "result":
			return nil, subResult
		case "error":
			return nil, subError
		case "event":
			return nil, objEvent
		case "item":
			return nil, objItem
		case "request":
			return nil, objRequest
		case "response":
			return nil, objResponse
		}
	case objEvent:
		if string(key) == "type" {
			return &e.EventType, objNone
		}
	case objItem:
		switch string(key) {
		case "type":
			return &e.ItemType, objNone
		case "id":
			return &e.ItemID, objNone
		}
	case objRequest:
		if string(key) == "subtype" {
			return &e.RequestSubtype, objNone
		}
	case objResponse:
		switch string(key) {
		case "subtype":
			return &e.ResponseSubtype, objNone
		case "request_id":
			return &e.ResponseRequestID, objNone
		}
	}
	return nil, objNone
}

// reset clears the fields read from a nested object, so that a repeated
// key replaces them all (last occurrence wins).
func (e *Envelope) reset(kind int) {
	switch kind {
	case objEvent:
		e.EventType = ""
	case objItem:
		e.ItemType, e.ItemID = "", ""
	case objRequest:
		e.RequestSubtype = ""
	case objResponse:
		e.ResponseSubtype, e.ResponseRequestID = "", ""
	}
}

// stringValue decodes the string starting at b[i] == '"' and returns it
// with the index after its closing quote.
func stringValue(b []byte, i int, intern bool) (string, int, error) {
	end, esc := scanString(b, i+1, 0)
	if end < 0 {
		return "", 0, errAt(b, ^end, "")
	}
	if !esc && ascii(b[i+1:end]) {
		if intern {
			return internBytes(b[i+1 : end]), end + 1, nil
		}
		return string(b[i+1 : end]), end + 1, nil
	}
	// Rare: escapes or non-ASCII bytes. encoding/json defines the result
	// (including U+FFFD for invalid UTF-8).
	s, err := unquote(b, i, end+1)
	return s, end + 1, err
}

// unquote decodes the JSON string b[from:to], quotes included.
func unquote(b []byte, from, to int) (string, error) {
	var s string
	if err := json.Unmarshal(b[from:to], &s); err != nil {
		return "", errAt(b, from, "bad string: "+err.Error())
	}
	return s, nil
}

// ascii reports whether b holds only bytes below 0x80.
func ascii(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&msb != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// The intern table: routing values such as "stream_event" or a session id
// repeat on nearly every line, so DecodeEnvelope returns a shared string
// instead of allocating one per line. It is a fixed, lossy cache (a slot
// holds the last value hashed to it), safe for concurrent decoders.
var (
	internSeed  = maphash.MakeSeed()
	internTable [1024]atomic.Pointer[string]
)

const maxInterned = 64

func internBytes(b []byte) string {
	if len(b) > maxInterned {
		return string(b)
	}
	slot := &internTable[maphash.Bytes(internSeed, b)%uint64(len(internTable))]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
