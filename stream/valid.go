package stream

// Valid reports whether b is exactly one JSON value, surrounding JSON
// whitespace allowed. It accepts what encoding/json.Valid accepts and
// nothing else — invalid UTF-8 inside strings included, as there — but
// makes one pass over b with the scanner of [DecodeEnvelope] and never
// allocates below 128 levels of nesting (json.Valid runs a state machine
// per byte).
func Valid(b []byte) bool {
	return valid(decoder{b: b})
}

// ValidUTF8JSON reports whether b is exactly one JSON value, surrounding
// JSON whitespace allowed, and valid UTF-8: Valid(b) && utf8.Valid(b), in
// one pass (outside strings, valid JSON is ASCII; the scanner checks the
// strings' UTF-8 as it goes). Such a line can be embedded as is in any
// JSON output that must stay UTF-8.
func ValidUTF8JSON(b []byte) bool {
	return valid(decoder{b: b, utf8: msb})
}

func valid(d decoder) bool {
	b := d.b
	i := d.ws(0)
	if i == len(b) {
		return false
	}
	i, err := d.skip(i, 0)
	return err == nil && d.ws(i) == len(b)
}
