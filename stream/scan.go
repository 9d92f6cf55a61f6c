package stream

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// The JSON scanner shared by DecodeEnvelope and Valid: it validates and
// skips what encoding/json validates, in one pass, without allocating.

// maxDepth is encoding/json's nesting limit; deeper values are invalid
// there, so they are invalid here too.
const maxDepth = 10000

type decoder struct {
	b []byte
	// utf8 is msb when strings must also be valid UTF-8 (ValidUTF8JSON),
	// 0 when they may hold any byte but controls, as in encoding/json.
	utf8 uint64
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

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// str scans a string body starting at i (after the opening quote) and
// returns the index of the closing quote and whether the string holds
// escapes. It validates what encoding/json validates: no control bytes, and
// only legal escapes. (Invalid UTF-8 is valid there, and so here, unless
// d.utf8 is set.)
//
// Eight bytes are examined at a time: the lowest byte that is a quote, a
// backslash or a control byte (or, with d.utf8, a byte from 0x80) is found
// with word arithmetic (the classic "has zero byte" tests, whose lowest
// flagged byte is always exact).
func (d *decoder) str(i int) (end int, esc bool, err error) {
	b, hi := d.b, d.utf8
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
		// Fewer than 8 bytes left: byte by byte.
		for ; i < len(b); i++ {
			if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 && hi != 0 {
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
		case c >= 0x80:
			// Only with d.utf8: one whole UTF-8 sequence, or an error.
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, d.errAt(i, "invalid UTF-8")
			}
			i += size
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
