package stream

import (
	"encoding/json"
	"errors"
	"testing"
)

// checkScanObject holds ScanObject to encoding/json decoding b into a map:
// the same lines are accepted, with the same members.
func checkScanObject(t *testing.T, b []byte) {
	t.Helper()
	var m map[string]json.RawMessage
	i := skipSpace(b, 0)
	want := json.Unmarshal(b, &m) == nil && i < len(b) && b[i] == '{'
	got := map[string]string{}
	err := ScanObject(b, func(k, v []byte) {
		// encoding/json turns each invalid UTF-8 byte of a key into
		// U+FFFD; ScanObject passes such a key as written.
		got[string([]rune(string(k)))] = string(v)
	})
	if (err == nil) != want {
		t.Fatalf("ScanObject(%.120q) = %v, encoding/json accepts it: %v", b, err, want)
	}
	var se *SyntaxError
	if err != nil && (!errors.As(err, &se) || se.Offset < 0 || se.Offset > len(b)) {
		t.Fatalf("ScanObject(%.120q): %v is not a *SyntaxError inside the line", b, err)
	}
	if err != nil {
		return
	}
	if len(got) != len(m) {
		t.Fatalf("ScanObject(%.120q): %d members, encoding/json %d", b, len(got), len(m))
	}
	for k, v := range m {
		if g, ok := got[k]; !ok || g != string(v) {
			t.Fatalf("ScanObject(%.120q): member %q = %s, encoding/json %s", b, k, g, v)
		}
	}
}

func TestScanObjectMatchesEncodingJSON(t *testing.T) {
	for _, c := range append(validCases, badLines...) {
		checkScanObject(t, []byte(c))
	}
	for _, c := range []string{
		`{"type":"x","type":"y"}`, `{"typ\u0065":1}`, ` { "a" : [ 1 , 2 ] , "b" : { } } `,
		`{"a":1}{}`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"\ud83d\ude00":"k"}`,
	} {
		checkScanObject(t, []byte(c))
	}
}

func FuzzScanObject(f *testing.F) {
	for _, c := range append(validCases, badLines...) {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScanObject(t, b)
	})
}

func TestMembersMemberElements(t *testing.T) {
	b := []byte(` {"type":"x","n":{"a":[1,{"b":2}]},"s":"caf\u00e9 \"q\"","e":"","k\u0065y":[ 1 , "two" ,[3]] } `)
	for key, want := range map[string]string{
		"type": `"x"`, "n": `{"a":[1,{"b":2}]}`, "s": `"caf\u00e9 \"q\""`, "e": `""`, "key": `[ 1 , "two" ,[3]]`,
	} {
		if got := Member(b, key); string(got) != want {
			t.Errorf("Member(%q) = %s, want %s", key, got, want)
		}
	}
	if Member(b, "missing") != nil || Member([]byte(`[1]`), "a") != nil || Member([]byte(`"s"`), "a") != nil {
		t.Error("Member found a member that is not there")
	}
	var keys []string
	Members(b, func(k, _ []byte) bool { keys = append(keys, string(k)); return len(keys) < 3 })
	if len(keys) != 3 || keys[0] != "type" || keys[2] != "s" {
		t.Errorf("Members stopped at %q, want the first 3 keys", keys)
	}
	var elems []string
	Elements(Member(b, "key"), func(v []byte) bool { elems = append(elems, string(v)); return true })
	if len(elems) != 3 || elems[0] != "1" || elems[1] != `"two"` || elems[2] != "[3]" {
		t.Errorf("Elements = %q", elems)
	}
	elems = nil
	Elements([]byte(`[]`), func(v []byte) bool { elems = append(elems, string(v)); return true })
	Elements([]byte(`{"a":1}`), func(v []byte) bool { elems = append(elems, string(v)); return true })
	if elems != nil {
		t.Errorf("Elements of an empty array or an object = %q", elems)
	}
}

// Members and Elements never panic, whatever they are given.
func FuzzMembersElements(f *testing.F) {
	for _, c := range append(validCases, badLines...) {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		Members(b, func(k, v []byte) bool { Elements(v, func([]byte) bool { return true }); return true })
		Elements(b, func(v []byte) bool { Members(v, func(k, v []byte) bool { return true }); return true })
	})
}
