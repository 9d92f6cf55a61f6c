package agent

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/corral-dev/corral/stream"
)

// Helpers for raw JSON values: the decoders locate the members of a line
// with package stream's scanner (stream.ScanObject, stream.Members,
// stream.Member, stream.Elements) and decode only the values an event
// needs with these.

// str decodes a raw JSON string value; other values give "".
func str(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	inner := v[1 : len(v)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return "" // not a valid JSON string: as any other value
			}
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

// strs decodes an array of strings; other elements are skipped.
func strs(b []byte) []string {
	var out []string
	stream.Elements(b, func(v []byte) bool {
		if len(v) > 0 && v[0] == '"' {
			out = append(out, str(v))
		}
		return true
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
