package agent

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A small JSON scanner for the decoders' hot paths. Agent CLIs print
// lines of up to tens of kilobytes (Claude's initialize response, Codex's
// thread items) of which an adapter needs a handful of top-level fields;
// encoding/json validates and walks all of it, several times over when
// values are kept as json.RawMessage. This scanner validates a line once
// (the same grammar encoding/json accepts) and then hands out raw member
// values by key without allocating, so only the few values an event needs
// are decoded. Everything it cannot handle cheaply falls back to
// encoding/json on the sub-slice.

// strSafe[c] is true for bytes that need no attention inside a string.
var strSafe = func() (t [256]bool) {
	for i := 0x20; i < 256; i++ {
		t[i] = true
	}
	t['"'], t['\\'] = false, false
	return
}()

const maxDepth = 10000

// validJSON reports whether b is exactly one JSON value with optional
// surrounding whitespace.
func validJSON(b []byte) bool {
	i, ok := skipValue(b, skipWS(b, 0), 0)
	return ok && skipWS(b, i) == len(b)
}

func skipWS(b []byte, i int) int {
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

// skipValue validates the value starting at b[i] and returns the index
// after it.
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		if depth >= maxDepth {
			return i, false
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = skipString(b, i); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			if i, ok = skipValue(b, skipWS(b, i+1), depth+1); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == '}' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipWS(b, i+1)
		}
	case c == '[':
		if depth >= maxDepth {
			return i, false
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = skipValue(b, i, depth+1); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == ']' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipWS(b, i+1)
		}
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	}
	return i, false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// SWAR constants: a byte-wise test on eight bytes at once.
const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// plainWord reports whether none of the eight bytes of w is a quote, a
// backslash or a control character (the bytes a string scan stops at).
func plainWord(w uint64) bool {
	q := w ^ (swarLo * '"')
	bs := w ^ (swarLo * '\\')
	return ((q-swarLo)&^q|(bs-swarLo)&^bs|(w-swarLo*0x20)&^w)&swarHi == 0
}

func skipString(b []byte, i int) (int, bool) {
	i++ // opening quote
	for i < len(b) {
		// Skip plain text eight bytes at a time.
		for i+8 <= len(b) && plainWord(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if strSafe[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 6
			default:
				return i, false
			}
		default: // a control character
			return i, false
		}
	}
	return i, false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func skipNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, false
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return i, false
		}
	}
	return i, true
}

// fields calls f with each member of the object b (already validated):
// the key's raw bytes without quotes (escapes left as is; corral's keys
// have none) and the raw value. f returns false to stop. Non-objects have
// no members.
func fields(b []byte, f func(key, val []byte) bool) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipWS(b, i+1)
	for i < len(b) && b[i] == '"' {
		ke, ok := skipString(b, i)
		if !ok {
			return
		}
		key := b[i+1 : ke-1]
		vs := skipWS(b, skipWS(b, ke)+1) // past ':'
		ve, ok := skipValue(b, vs, 0)
		if !ok {
			return
		}
		if !f(key, b[vs:ve]) {
			return
		}
		i = skipWS(b, ve)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipWS(b, i+1)
	}
}

// field returns the raw value of member key of object b, or nil.
func field(b []byte, key string) []byte {
	var out []byte
	fields(b, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	return out
}

// str decodes a raw JSON string value; other values give "".
func str(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	inner := v[1 : len(v)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			var s string
			json.Unmarshal(v, &s) //nolint:errcheck // v was validated
			return s
		}
	}
	return string(inner)
}

// isNull reports whether a raw value is absent or null.
func isNull(v []byte) bool { return len(v) == 0 || string(v) == "null" }

// appendString appends s as a JSON string, escaping as encoding/json does
// (without HTML escaping, which event data does not need).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
				dst = append(dst, s[start:i]...)
				switch {
				case r == utf8.RuneError:
					dst = append(dst, `\ufffd`...)
				case r == '\u2028':
					dst = append(dst, `\u2028`...)
				default:
					dst = append(dst, `\u2029`...)
				}
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, `\"`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		default:
			const hex = "0123456789abcdef"
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// textDataJSON marshals a TextData like encoding/json would, without
// reflection: assistant text deltas are the most frequent event.
func textDataJSON(d TextData) []byte {
	b := make([]byte, 0, len(d.Text)+64)
	b = append(b, `{"text":`...)
	b = appendString(b, d.Text)
	if d.Delta {
		b = append(b, `,"delta":true`...)
	} else {
		b = append(b, `,"delta":false`...)
	}
	if d.MessageID != "" {
		b = append(b, `,"messageId":`...)
		b = appendString(b, d.MessageID)
	}
	if d.ParentToolUseID != "" {
		b = append(b, `,"parentToolUseId":`...)
		b = appendString(b, d.ParentToolUseID)
	}
	if d.Error != "" {
		b = append(b, `,"error":`...)
		b = appendString(b, d.Error)
	}
	return append(b, '}')
}

// scanObject validates b as one JSON object (with surrounding whitespace)
// and calls f with every top-level member on the way (key without quotes,
// raw value): one pass does both. It reports whether b was valid; f may
// have been called for members before an error.
func scanObject(b []byte, f func(key, val []byte)) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipWS(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return false
		}
		ke, ok := skipString(b, i)
		if !ok {
			return false
		}
		key := b[i+1 : ke-1]
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		vs := skipWS(b, i+1)
		ve, ok := skipValue(b, vs, 1)
		if !ok {
			return false
		}
		f(key, b[vs:ve])
		i = skipWS(b, ve)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return skipWS(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = skipWS(b, i+1)
	}
}

// elems calls f with each element of the array b (already validated).
func elems(b []byte, f func(val []byte)) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	i = skipWS(b, i+1)
	for i < len(b) && b[i] != ']' {
		ve, ok := skipValue(b, i, 1)
		if !ok {
			return
		}
		f(b[i:ve])
		i = skipWS(b, ve)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
		}
	}
}

// strs decodes an array of strings; other elements are skipped.
func strs(b []byte) []string {
	var out []string
	elems(b, func(v []byte) {
		if len(v) > 0 && v[0] == '"' {
			out = append(out, str(v))
		}
	})
	return out
}

// num decodes a raw JSON number; other values give 0.
func num(v []byte) float64 {
	if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
		return 0
	}
	f, _ := strconv.ParseFloat(string(v), 64)
	return f
}

// integer decodes a raw JSON integer (a fraction is cut off).
func integer(v []byte) int64 {
	n := int64(0)
	neg := false
	for i, c := range v {
		switch {
		case c == '-' && i == 0:
			neg = true
		case c >= '0' && c <= '9':
			n = n*10 + int64(c-'0')
		default:
			if neg {
				return -n
			}
			return n
		}
	}
	if neg {
		return -n
	}
	return n
}

// raw returns v as a json.RawMessage copy, nil for absent or null.
func raw(v []byte) json.RawMessage {
	if isNull(v) {
		return nil
	}
	return append(json.RawMessage(nil), v...)
}

// unq returns the bytes inside a raw JSON string value (escapes left as
// they are), for comparing against known names without allocating.
func unq(v []byte) []byte {
	if len(v) < 2 || v[0] != '"' {
		return nil
	}
	return v[1 : len(v)-1]
}

// textDataRaw builds a TextData's JSON around text, a raw JSON string
// value taken from a validated line: it is already valid JSON, so it is
// embedded as is instead of being decoded and escaped again.
func textDataRaw(text []byte, delta bool, messageID, parent string) []byte {
	if len(text) == 0 || text[0] != '"' {
		text = []byte(`""`)
	}
	b := make([]byte, 0, len(text)+40+len(messageID)+len(parent))
	b = append(b, `{"text":`...)
	b = append(b, text...)
	if delta {
		b = append(b, `,"delta":true`...)
	} else {
		b = append(b, `,"delta":false`...)
	}
	if messageID != "" {
		b = append(b, `,"messageId":`...)
		b = appendString(b, messageID)
	}
	if parent != "" {
		b = append(b, `,"parentToolUseId":`...)
		b = appendString(b, parent)
	}
	return append(b, '}')
}
