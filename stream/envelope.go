package stream

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"math/bits"
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

// maxDepth is encoding/json's nesting limit; deeper values are invalid
// there, so they are invalid here too.
const maxDepth = 10000

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
	d := decoder{b: line}
	i := d.ws(0)
	if i == len(line) || line[i] != '{' {
		if i == len(line) {
			return Envelope{}, d.errAt(i, "empty line")
		}
		return Envelope{}, d.errAt(i, "line does not start with '{'")
	}
	i, err := d.object(i, &env, objTop)
	if err != nil {
		return Envelope{}, err
	}
	if i = d.ws(i); i != len(line) {
		return Envelope{}, d.errAt(i, "data after the JSON object")
	}
	return env, nil
}

type decoder struct {
	b []byte
}

func (d *decoder) errAt(i int, msg string) error {
	return &SyntaxError{Offset: i, Msg: msg}
}

// ws skips JSON whitespace from i.
func (d *decoder) ws(i int) int {
	b := d.b
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
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

// object parses the object starting at b[i] == '{' (top level or one of the
// routed nested objects, both at depth <= 2) and returns the index after its
// '}'.
func (d *decoder) object(i int, env *Envelope, kind int) (int, error) {
	b := d.b
	depth := 1
	if kind != objTop {
		depth = 2
	}
	i = d.ws(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, d.errAt(i, "expected a string key")
		}
		ks := i + 1
		ke, esc, err := d.str(ks)
		if err != nil {
			return 0, err
		}
		key := b[ks:ke]
		if esc {
			// Rare: an escaped key. Match on its unescaped form.
			unesc, err := d.unquote(ks-1, ke+1)
			if err != nil {
				return 0, err
			}
			key = []byte(unesc)
		}
		i = d.ws(ke + 1)
		if i >= len(b) || b[i] != ':' {
			return 0, d.errAt(i, "expected ':' after a key")
		}
		i = d.ws(i + 1)
		if i >= len(b) {
			return 0, d.errAt(i, "truncated: expected a value")
		}
		target, sub := env.field(kind, key)
		switch {
		case target != nil:
			if b[i] == '"' {
				s, end, err := d.stringValue(i, env.interned(target))
				if err != nil {
					return 0, err
				}
				*target, i = s, end
			} else {
				*target = ""
				if i, err = d.skip(i, depth); err != nil {
					return 0, err
				}
			}
		case sub == subID:
			start := i
			if i, err = d.skip(i, depth); err != nil {
				return 0, err
			}
			env.ID = b[start:i]
		case sub == subResult || sub == subError:
			if sub == subResult {
				env.HasResult = true
			} else {
				env.HasError = true
			}
			if i, err = d.skip(i, depth); err != nil {
				return 0, err
			}
		case sub != objNone:
			env.reset(sub)
			if b[i] == '{' {
				i, err = d.object(i, env, sub)
			} else {
				i, err = d.skip(i, depth)
			}
			if err != nil {
				return 0, err
			}
		default:
			if i, err = d.skip(i, depth); err != nil {
				return 0, err
			}
		}
		i = d.ws(i)
		if i >= len(b) {
			return 0, d.errAt(i, "truncated: object not closed")
		}
		switch b[i] {
		case ',':
			i = d.ws(i + 1)
		case '}':
			return i + 1, nil
		default:
			return 0, d.errAt(i, "expected ',' or '}' in object")
		}
	}
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

// stringValue decodes the string starting at b[i] == '"' and returns it with
// the index after its closing quote.
func (d *decoder) stringValue(i int, intern bool) (string, int, error) {
	end, esc, err := d.str(i + 1)
	if err != nil {
		return "", 0, err
	}
	if !esc && ascii(d.b[i+1:end]) {
		if intern {
			return internBytes(d.b[i+1 : end]), end + 1, nil
		}
		return string(d.b[i+1 : end]), end + 1, nil
	}
	// Rare: escapes or non-ASCII bytes. encoding/json defines the result
	// (including U+FFFD for invalid UTF-8).
	s, err := d.unquote(i, end+1)
	return s, end + 1, err
}

func (d *decoder) unquote(from, to int) (string, error) {
	var s string
	if err := json.Unmarshal(d.b[from:to], &s); err != nil {
		return "", d.errAt(from, "bad string: "+err.Error())
	}
	return s, nil
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

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// str scans a string body starting at i (after the opening quote) and
// returns the index of the closing quote and whether the string holds
// escapes. It validates what encoding/json validates: no control bytes, and
// only legal escapes. (Invalid UTF-8 is valid there, and so here.)
//
// Eight bytes are examined at a time: the lowest byte that is a quote, a
// backslash or a control byte is found with word arithmetic (the classic
// "has zero byte" tests, whose lowest flagged byte is always exact).
func (d *decoder) str(i int) (end int, esc bool, err error) {
	b := d.b
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q := x ^ (lsb * '"')
			s := x ^ (lsb * '\\')
			m := ((q - lsb) &^ q) | ((s - lsb) &^ s) | ((x - lsb*0x20) &^ x)
			if m &= msb; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				goto special
			}
			i += 8
		}
		// Fewer than 8 bytes left: byte by byte.
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
				goto special
			}
		}
		return 0, false, d.errAt(i, "truncated: string not closed")
	special:
		switch c := b[i]; {
		case c == '"':
			return i, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, false, d.errAt(i, "truncated escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return 0, false, d.errAt(i, "truncated \\u escape")
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return 0, false, d.errAt(i, "bad \\u escape")
					}
				}
				i += 6
			default:
				return 0, false, d.errAt(i, "bad escape")
			}
		default:
			return 0, false, d.errAt(i, "control byte in string")
		}
	}
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

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// skip validates and skips the value starting at b[i] (not whitespace)
// inside a container at the given depth, and returns the index after it.
// Nested containers are walked iteratively; depth counts open containers,
// the top-level object being 1.
func (d *decoder) skip(i, depth int) (int, error) {
	b := d.b
	// stack holds one bit per container opened by this call: 1 for an
	// object, 0 for an array. It grows (allocates) only past 128 levels.
	var small [2]uint64
	stack := small[:]
	n := 0 // containers opened by this call
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return 0, d.errAt(i, "truncated: expected a value")
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth+n+1 > maxDepth {
				return 0, d.errAt(i, "nesting too deep")
			}
			if n/64 == len(stack) {
				stack = append(stack, 0)
			}
			if c == '{' {
				stack[n/64] |= 1 << (n % 64)
			} else {
				stack[n/64] &^= 1 << (n % 64)
			}
			n++
			i = d.ws(i + 1)
			if i < len(b) && (b[i] == '}' && c == '{' || b[i] == ']' && c == '[') {
				n--
				i++
				break // an empty container is a complete value
			}
			if c == '{' {
				var err error
				if i, err = d.key(i); err != nil {
					return 0, err
				}
			}
			continue // its first value
		case '"':
			end, _, err := d.str(i + 1)
			if err != nil {
				return 0, err
			}
			i = end + 1
		case 't':
			if !hasPrefix(b[i:], "true") {
				return 0, d.errAt(i, "bad literal")
			}
			i += 4
		case 'f':
			if !hasPrefix(b[i:], "false") {
				return 0, d.errAt(i, "bad literal")
			}
			i += 5
		case 'n':
			if !hasPrefix(b[i:], "null") {
				return 0, d.errAt(i, "bad literal")
			}
			i += 4
		default:
			var err error
			if i, err = d.number(i); err != nil {
				return 0, err
			}
		}
		// A value ended at i. Close containers until one continues.
		for {
			if n == 0 {
				return i, nil
			}
			obj := stack[(n-1)/64]&(1<<((n-1)%64)) != 0
			i = d.ws(i)
			if i >= len(b) {
				return 0, d.errAt(i, "truncated: container not closed")
			}
			switch c := b[i]; {
			case c == ',':
				i = d.ws(i + 1)
				if obj {
					var err error
					if i, err = d.key(i); err != nil {
						return 0, err
					}
				}
			case c == '}' && obj, c == ']' && !obj:
				n--
				i++
				continue
			default:
				return 0, d.errAt(i, "expected ',' or the end of a container")
			}
			break
		}
		if i >= len(b) {
			return 0, d.errAt(i, "truncated: expected a value")
		}
	}
}

// key skips `"key" :` and whitespace, returning the index of the value.
func (d *decoder) key(i int) (int, error) {
	b := d.b
	if i >= len(b) || b[i] != '"' {
		return 0, d.errAt(i, "expected a string key")
	}
	end, _, err := d.str(i + 1)
	if err != nil {
		return 0, err
	}
	i = d.ws(end + 1)
	if i >= len(b) || b[i] != ':' {
		return 0, d.errAt(i, "expected ':' after a key")
	}
	return d.ws(i + 1), nil
}

// number skips a JSON number starting at b[i].
func (d *decoder) number(i int) (int, error) {
	b := d.b
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return 0, d.errAt(start, "expected a value")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return 0, d.errAt(i, "bad number")
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, d.errAt(i, "bad number")
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}
