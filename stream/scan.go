package stream

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// The JSON scanner behind Valid, ValidUTF8JSON, DecodeEnvelope and
// ScanObject: it validates and skips what encoding/json validates, in one
// pass, without allocating below 128 levels of nesting.
//
// A JSON line of agent output is dense in tokens (a string every dozen
// bytes), so skipValue walks a whole value in one loop — a state machine
// over value / after-value / key / string body — with the string scan
// inlined, and keeps nothing but a bit stack of the open containers. It
// reports an error as the position where it found it, never as an error
// value: the callers that need one build it from that position.

// maxDepth is encoding/json's nesting limit; deeper values are invalid
// there, so they are invalid here too.
const maxDepth = 10000

// SWAR constants: a byte-wise test on eight bytes at once.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// skipValue validates the JSON value that starts at b[i] (after optional
// whitespace) and returns the index after it; trailing whitespace is not
// skipped. When the value is invalid or truncated it returns ^pos
// (negative), pos being where the problem was found. depth is how many
// containers are already open around the value (encoding/json's limit of
// 10000 counts them too). With hi == msb, strings must also be valid UTF-8
// (outside strings valid JSON is ASCII, so that is utf8.Valid of the value
// too); with hi == 0 they may hold any byte but controls, as in
// encoding/json.
func skipValue(b []byte, i, depth int, hi uint64) int {
	var small [2]uint64
	stack := small[:] // bit n: container n is an object (1) or an array (0)
	// n counts the containers this call opened; inKey says the string
	// scanned is a key.
	n, inKey := 0, false
value:
	i = skipSpace(b, i)
	if i >= len(b) {
		return ^i
	}
	switch c := b[i]; c {
	case '"':
		inKey = false
		i++
		goto str
	case '{', '[':
		if depth+n+1 > maxDepth {
			return ^i
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
		if j := scanScalar(b, i); j >= 0 {
			i = j
		} else {
			return ^i
		}
	}
after: // a value ended at i
	if n == 0 {
		return i
	}
	i = skipSpace(b, i)
	if i >= len(b) {
		return ^i
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
	return ^i
key:
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '"' {
		return ^i
	}
	inKey = true
	i++
str: // a string body from i: eight bytes at a time
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
	return ^i
special:
	if b[i] != '"' {
		if j := strSpecial(b, i); j >= 0 {
			i = j
		} else {
			return ^i
		}
		goto str
	}
	i++
	if !inKey {
		goto after
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return ^i
	}
	i++
	goto value
}

// scanString scans a string body from b[i] (just after the opening quote)
// and returns the index of the closing quote and whether the string holds
// escapes, or ^pos (negative) when the string is invalid or not closed.
// hi is as for skipValue.
func scanString(b []byte, i int, hi uint64) (end int, esc bool) {
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q := x ^ (lsb * '"')
			s := x ^ (lsb * '\\')
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
		return ^i, esc
	special:
		switch b[i] {
		case '"':
			return i, esc
		case '\\':
			esc = true
		}
		if j := strSpecial(b, i); j >= 0 {
			i = j
		} else {
			return ^i, esc
		}
	}
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

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

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

// errAt returns the *SyntaxError of a problem found at b[pos].
func errAt(b []byte, pos int, msg string) error {
	if msg == "" {
		if pos >= len(b) {
			msg = "truncated: the line ends inside a value"
		} else {
			msg = "unexpected " + strconv.QuoteToASCII(string(b[pos:pos+1]))
		}
	}
	return &SyntaxError{Offset: pos, Msg: msg}
}
