package relay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/corral-dev/corral/event"
)

// cutMarker ends a string the relay cut to fit an event into one NATS
// message; %d is the number of bytes cut.
const cutMarker = "… [%d bytes cut by the fleet relay]"

// fitEvent returns the JSON of ev in at most budget bytes, for an event
// whose JSON is larger than a NATS message may be (the server's max
// payload, 1 MiB by default). It drops the agent's raw line first (the
// store trims raw payloads first too), then cuts the longest strings of
// Data, each ending with cutMarker, so that Data stays valid JSON of its
// type. When Data has no string long enough, Data is replaced by
// {"cutByRelay": <its size>}. The runner's store keeps the whole event.
// It is a pure function of its arguments.
func fitEvent(ev event.Event, budget int) []byte {
	body, _ := json.Marshal(ev)
	if len(body) <= budget {
		return body
	}
	ev.Raw = nil
	body, _ = json.Marshal(ev)
	for range 16 {
		if len(body) <= budget {
			return body
		}
		data, ok := cutLongest(ev.Data, len(body)-budget)
		if !ok {
			break
		}
		ev.Data = data
		body, _ = json.Marshal(ev)
	}
	if len(body) > budget {
		ev.Data = json.RawMessage(fmt.Sprintf(`{"cutByRelay":%d}`, len(ev.Data)))
		body, _ = json.Marshal(ev)
	}
	return body
}

// cutLongest cuts the longest string in the JSON value data by at least
// excess bytes of its encoding, keeping its head and adding cutMarker.
// ok is false when data holds no string long enough.
func cutLongest(data json.RawMessage, excess int) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	s := longestString(v)
	// A byte cut from a string shortens its encoding by at least a byte.
	cut := excess + len(cutMarker) + 32
	if cut >= len(s) {
		return nil, false
	}
	keep := len(s) - cut
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	replace(&v, s, s[:keep]+fmt.Sprintf(cutMarker, len(s)-keep))
	out, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return out, true
}

// longestString is the longest string in v ("" if none).
func longestString(v any) string {
	var best string
	switch x := v.(type) {
	case string:
		best = x
	case map[string]any:
		for _, e := range x {
			if s := longestString(e); len(s) > len(best) {
				best = s
			}
		}
	case []any:
		for _, e := range x {
			if s := longestString(e); len(s) > len(best) {
				best = s
			}
		}
	}
	return best
}

// replace sets the first string equal to old in v to repl.
func replace(p *any, old, repl string) bool {
	switch x := (*p).(type) {
	case string:
		if x == old {
			*p = repl
			return true
		}
	case map[string]any:
		for k := range x {
			e := x[k]
			if replace(&e, old, repl) {
				x[k] = e
				return true
			}
		}
	case []any:
		for i := range x {
			if replace(&x[i], old, repl) {
				return true
			}
		}
	}
	return false
}
