package stream

// Valid reports whether b is exactly one JSON value, surrounding JSON
// whitespace allowed. It accepts what encoding/json.Valid accepts and
// nothing else — invalid UTF-8 inside strings included, as there — but
// makes one pass over b and never allocates below 128 levels of nesting
// (json.Valid runs a state machine per byte).
func Valid(b []byte) bool {
	i := skipValue(b, 0, 0, 0)
	return i >= 0 && skipSpace(b, i) == len(b)
}

// ValidUTF8JSON reports whether b is exactly one JSON value, surrounding
// JSON whitespace allowed, and valid UTF-8: Valid(b) && utf8.Valid(b), in
// one pass (outside strings, valid JSON is ASCII; the string scan checks
// the strings' UTF-8 as it goes). Such a line can be embedded as is in any
// JSON output that must stay UTF-8.
func ValidUTF8JSON(b []byte) bool {
	i := skipValue(b, 0, 0, msb)
	return i >= 0 && skipSpace(b, i) == len(b)
}
