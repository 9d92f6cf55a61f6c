package stream

// ScanObject validates line as exactly one JSON object (surrounding JSON
// whitespace allowed) and calls f with each of its members on the way, in
// order: one pass does both. It accepts what encoding/json.Unmarshal into a
// map accepts and returns a *SyntaxError for everything else; f may have
// been called for the members before the error.
//
// key is the member's name: the bytes between its quotes when it has no
// escapes, its unescaped text when it has (rare: then it is a copy). value
// is the member's raw JSON value, without surrounding whitespace. Both
// alias line unless said otherwise: copy what must outlive the line. A key
// that appears twice is passed twice (encoding/json keeps the last).
//
// Agent adapters use it to route a line on a few members and decode only
// the values an event needs: the values are valid JSON, so Members,
// Member and Elements can walk them without validating them again.
func ScanObject(line []byte, f func(key, value []byte)) error {
	b := line
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if i >= len(b) {
			return errAt(b, i, "empty line")
		}
		return errAt(b, i, "line does not start with '{'")
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		if i = skipSpace(b, i+1); i != len(b) {
			return errAt(b, i, "data after the JSON object")
		}
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errAt(b, i, "expected a string key")
		}
		key, end, err := objectKey(b, i)
		if err != nil {
			return err
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return errAt(b, i, "expected ':' after a key")
		}
		vs := skipSpace(b, i+1)
		ve := skipValue(b, vs, 1, 0)
		if ve < 0 {
			return errAt(b, ^ve, "")
		}
		f(key, b[vs:ve])
		if i = skipSpace(b, ve); i >= len(b) {
			return errAt(b, i, "truncated: object not closed")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			if i = skipSpace(b, i+1); i != len(b) {
				return errAt(b, i, "data after the JSON object")
			}
			return nil
		default:
			return errAt(b, i, "expected ',' or '}' in object")
		}
	}
}

// Members calls f with each member of obj, a JSON object that is known to
// be valid (a value from ScanObject, Member or Elements), until f returns
// false. key and value are as for ScanObject. When obj is not an object,
// f is not called; when it is not valid JSON, Members stops where it
// finds that.
func Members(obj []byte, f func(key, value []byte) bool) {
	b := obj
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] == '"' {
		key, end, err := objectKey(b, i)
		if err != nil {
			return
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return
		}
		vs := skipSpace(b, i+1)
		ve := skipValue(b, vs, 1, 0)
		if ve < 0 || !f(key, b[vs:ve]) {
			return
		}
		if i = skipSpace(b, ve); i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

// Member returns the raw value of the member key of obj (see Members), or
// nil when obj has no such member. When the key appears more than once,
// the first one counts.
func Member(obj []byte, key string) []byte {
	var out []byte
	Members(obj, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	return out
}

// Elements calls f with the raw value of each element of arr, a JSON
// array that is known to be valid (see Members), until f returns false.
// When arr is not an array, f is not called.
func Elements(arr []byte, f func(value []byte) bool) {
	b := arr
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != ']' {
		ve := skipValue(b, i, 1, 0)
		if ve < 0 || !f(b[i:ve]) {
			return
		}
		if i = skipSpace(b, ve); i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}
