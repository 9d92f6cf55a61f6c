package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// A tool call's Data is decoded for the search index on every append of
// one without a Payload; scanToolCall reads the two members the index
// takes (name, and the string values of input) straight from the JSON,
// without building maps, and leaves every unusual case to json.Unmarshal.

// rawMember is one member of a JSON object with its value undecoded. Its
// key aliases the JSON it was scanned from (no copy per key).
type rawMember struct {
	key []byte
	raw []byte
}

// scanToolCall returns the name and input members of data, which must be
// valid JSON (json.Valid): an object with "name" a string and "input" an
// object or null. ok is false when data is anything else, or has a key
// that is escaped or spells "name" or "input" in other case (what
// json.Unmarshal then does is the answer). The input members are appended
// to buf[:0] (a caller's array keeps a plain call from allocating).
func scanToolCall(data []byte, buf []rawMember) (name string, input []rawMember, ok bool) {
	sc := jsonScan{b: data}
	err := sc.object(func(key []byte) bool {
		switch string(key) {
		case "name":
			raw := sc.value()
			if len(raw) == 0 || raw[0] != '"' {
				return false
			}
			s, ok := jsonString(raw)
			name = s
			return ok
		case "input":
			input = buf[:0]
			if bytes.Equal(sc.peekLiteral(), []byte("null")) {
				sc.value()
				return true
			}
			return sc.object(func(k []byte) bool {
				raw := sc.value()
				input = setMember(input, k, raw)
				return true
			}) == nil
		}
		if bytes.EqualFold(key, []byte("name")) || bytes.EqualFold(key, []byte("input")) {
			return false
		}
		sc.value()
		return true
	})
	if err != nil {
		return "", nil, false
	}
	// Only string values are text; the rest never was.
	out := input[:0]
	for _, m := range input {
		if len(m.raw) > 2 && m.raw[0] == '"' {
			out = append(out, m)
		}
	}
	return name, out, true
}

// setMember adds or replaces (a repeated key: the last one counts, as in
// json.Unmarshal) the member key.
func setMember(ms []rawMember, key, raw []byte) []rawMember {
	for i := range ms {
		if bytes.Equal(ms[i].key, key) {
			ms[i].raw = raw
			return ms
		}
	}
	return append(ms, rawMember{key, raw})
}

// jsonString decodes a JSON string literal: directly when it has no
// escape and is valid UTF-8, else with json.Unmarshal.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// jsonScan walks valid JSON.
type jsonScan struct {
	b []byte
	i int
}

// errScan stops a scan; the caller falls back to json.Unmarshal.
var errScan = errors.New("store: not a plain tool call")

func (sc *jsonScan) ws() {
	for sc.i < len(sc.b) && (sc.b[sc.i] == ' ' || sc.b[sc.i] == '\t' || sc.b[sc.i] == '\n' || sc.b[sc.i] == '\r') {
		sc.i++
	}
}

// object walks an object, calling member with each key (the bytes between
// its quotes, positioned at its value, which member must consume); a false
// answer stops with an error. Escaped keys are an error.
func (sc *jsonScan) object(member func(key []byte) bool) error {
	sc.ws()
	if sc.i >= len(sc.b) || sc.b[sc.i] != '{' {
		return errScan
	}
	sc.i++
	for {
		sc.ws()
		if sc.i < len(sc.b) && sc.b[sc.i] == '}' {
			sc.i++
			return nil
		}
		if sc.i < len(sc.b) && sc.b[sc.i] == ',' {
			sc.i++
			sc.ws()
		}
		raw := sc.str()
		if raw == nil || bytes.IndexByte(raw, '\\') >= 0 {
			return errScan
		}
		sc.ws()
		sc.i++ // ':'
		sc.ws()
		if !member(raw[1 : len(raw)-1]) {
			return errScan
		}
	}
}

// str returns the string literal at the position, quotes included.
func (sc *jsonScan) str() []byte {
	if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
		return nil
	}
	start := sc.i
	for j := sc.i + 1; ; {
		k := bytes.IndexByte(sc.b[j:], '"')
		if k < 0 {
			sc.i = len(sc.b)
			return nil
		}
		j += k
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		n := 0
		for n < j-start-1 && sc.b[j-1-n] == '\\' {
			n++
		}
		j++
		if n%2 == 0 {
			sc.i = j
			return sc.b[start:j]
		}
	}
}

// peekLiteral returns the bytes of the literal or number at the position.
func (sc *jsonScan) peekLiteral() []byte {
	j := sc.i
	for ; j < len(sc.b); j++ {
		switch sc.b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return sc.b[sc.i:j]
		}
	}
	return sc.b[sc.i:j]
}

// value returns the value at the position (valid JSON) and moves past it.
func (sc *jsonScan) value() []byte {
	sc.ws()
	start := sc.i
	if sc.i >= len(sc.b) {
		return nil
	}
	switch sc.b[sc.i] {
	case '"':
		return sc.str()
	case '{', '[':
		depth := 0
		for ; sc.i < len(sc.b); sc.i++ {
			switch sc.b[sc.i] {
			case '"':
				sc.str()
				sc.i--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					sc.i++
					return sc.b[start:sc.i]
				}
			}
		}
		return nil
	}
	lit := sc.peekLiteral()
	sc.i += len(lit)
	return lit
}
