package stream

// Valid reports whether b is exactly one JSON value, surrounding JSON
// whitespace allowed. It accepts what encoding/json.Valid accepts and
// nothing else — invalid UTF-8 inside strings included, as there — but
// makes one pass over b with the scanner of [DecodeEnvelope] and never
// allocates below 128 levels of nesting (json.Valid runs a state machine
// per byte).
func Valid(b []byte) bool {
	d := decoder{b: b}
	i := d.ws(0)
	if i == len(b) {
		return false
	}
	i, err := d.skip(i, 0)
	return err == nil && d.ws(i) == len(b)
}
