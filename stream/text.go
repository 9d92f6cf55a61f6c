package stream

import (
	"encoding/base64"
	"unicode/utf8"
)

// Text prepares line bytes for a JSON string field without losing any byte.
//
// When b is valid UTF-8 it is returned as is, with isBase64 false; JSON
// encoders escape what JSON requires (NUL becomes \u0000, and so on) and a
// decoder gets exactly b back. Otherwise — the line holds bytes that are not
// UTF-8, which encoding/json would silently replace with U+FFFD — it is
// returned as standard base64 (RFC 4648, with padding) with isBase64 true.
// Carry the flag next to the text (corral's events use "text" plus
// "base64": true) and reverse it with [FromText].
func Text(b []byte) (text string, isBase64 bool) {
	if utf8.Valid(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// FromText reverses [Text]: it returns the original bytes.
func FromText(text string, isBase64 bool) ([]byte, error) {
	if isBase64 {
		return base64.StdEncoding.DecodeString(text)
	}
	return []byte(text), nil
}
