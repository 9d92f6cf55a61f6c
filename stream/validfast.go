package stream

import (
	"encoding/binary"
	"math/bits"
)

// validJSON is the validator behind Valid and ValidUTF8JSON. It reports
// whether b is exactly one JSON value, surrounding JSON whitespace
// allowed, as encoding/json.Valid does; with hi == msb, strings must also
// be valid UTF-8 (outside strings valid JSON is ASCII, so that is
// utf8.Valid(b) too).
//
// It answers yes or no only: unlike the scanner of DecodeEnvelope it keeps
// no offsets and builds no errors, and it walks the value in one loop (a
// state machine over value / after-value / key / string body) with the
// string scan inlined, because a JSON line of agent output is dense in
// tokens: a string every dozen bytes. Nesting is a bit stack that
// allocates only past 128 levels; deeper than encoding/json's 10000 is
// invalid, as there.
func validJSON(b []byte, hi uint64) bool {
	var small [2]uint64
	stack := small[:] // bit n: container n is an object (1) or an array (0)
	// n counts the open containers; inKey says the string scanned is a key.
	n, i, inKey := 0, 0, false
value:
	i = skipSpace(b, i)
	if i >= len(b) {
		return false
	}
	switch c := b[i]; c {
	case '"':
		inKey = false
		i++
		goto str
	case '{', '[':
		if n+1 > maxDepth {
			return false
		}
		stack = pushContainer(stack, n, c == '{')
		n++
		if i = skipSpace(b, i+1); i < len(b) && b[i] == c+2 { // '{'+2 == '}', '['+2 == ']'
			n--
			i++
			goto after
		}
		if c == '{' {
			goto key
		}
		goto value
	default:
		if i = scanScalar(b, i); i < 0 {
			return false
		}
	}
after: // a value ended at i
	i = skipSpace(b, i)
	if n == 0 {
		return i == len(b)
	}
	if i >= len(b) {
		return false
	}
	switch c, obj := b[i], stack[(n-1)/64]&(1<<((n-1)%64)) != 0; {
	case c == ',':
		i++
		if obj {
			goto key
		}
		goto value
	case c == '}' && obj, c == ']' && !obj:
		n--
		i++
		goto after
	}
	return false
key:
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '"' {
		return false
	}
	inKey = true
	i++
str: // a string body from i: eight bytes at a time, as decoder.str
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (lsb * '"')
		s := x ^ (lsb * '\\')
		// The lowest flagged byte is exact (borrows only run upward).
		m := ((q - lsb) &^ q) | ((s - lsb) &^ s) | ((x - lsb*0x20) &^ x) | x&hi
		if m &= msb; m != 0 {
			i += bits.TrailingZeros64(m) / 8
			goto special
		}
		i += 8
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 && hi != 0 {
			goto special
		}
	}
	return false
special:
	if b[i] != '"' {
		if i = strSpecial(b, i); i < 0 {
			return false
		}
		goto str
	}
	i++
	if !inKey {
		goto after
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return false
	}
	i++
	goto value
}

// pushContainer records that container n is an object or an array.
func pushContainer(stack []uint64, n int, obj bool) []uint64 {
	if n/64 == len(stack) {
		stack = append(stack, 0)
	}
	if obj {
		stack[n/64] |= 1 << (n % 64)
	} else {
		stack[n/64] &^= 1 << (n % 64)
	}
	return stack
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t') }

// strSpecial checks what stopped the string scan at b[i] — an escape, a
// control byte, or (only when UTF-8 is checked) a byte from 0x80 — and
// returns the index after the escape or the run of UTF-8 sequences, or -1
// when it is invalid.
func strSpecial(b []byte, i int) int {
	switch c := b[i]; {
	case c == '\\':
		if i+1 >= len(b) {
			return -1
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			return i + 2
		case 'u':
			if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
				return -1
			}
			return i + 6
		}
	case c >= 0x80:
		// A run of UTF-8 sequences (CJK, emoji) at once.
		for i < len(b) && b[i] >= 0x80 {
			k := utf8Seq(b, i)
			if k == 0 {
				return -1
			}
			i += k
		}
		return i
	}
	return -1
}

// scanScalar returns the index after the literal (true, false, null) or
// number starting at b[i], or -1 when none starts there.
func scanScalar(b []byte, i int) int {
	var lit string
	switch b[i] {
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	case 'n':
		lit = "null"
	default:
		return scanNumber(b, i)
	}
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// utf8Seq returns the length of the valid UTF-8 sequence starting at b[i]
// (a byte from 0x80), or 0 when there is none: the rules of utf8.Valid
// (no overlong forms, no surrogates, nothing above U+10FFFF).
func utf8Seq(b []byte, i int) int {
	c := b[i]
	switch {
	case c < 0xC2:
		return 0
	case c < 0xE0:
		if i+1 < len(b) && b[i+1]&0xC0 == 0x80 {
			return 2
		}
	case c < 0xF0:
		if i+2 < len(b) {
			lo, up := byte(0x80), byte(0xBF)
			if c == 0xE0 {
				lo = 0xA0
			} else if c == 0xED {
				up = 0x9F
			}
			if c1 := b[i+1]; lo <= c1 && c1 <= up && b[i+2]&0xC0 == 0x80 {
				return 3
			}
		}
	case c < 0xF5:
		if i+3 < len(b) {
			lo, up := byte(0x80), byte(0xBF)
			if c == 0xF0 {
				lo = 0x90
			} else if c == 0xF4 {
				up = 0x8F
			}
			if c1 := b[i+1]; lo <= c1 && c1 <= up && b[i+2]&0xC0 == 0x80 && b[i+3]&0xC0 == 0x80 {
				return 4
			}
		}
	}
	return 0
}

// scanNumber returns the index after the JSON number starting at b[i], or
// -1 when none starts there.
func scanNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return -1
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
			return -1
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i
}
