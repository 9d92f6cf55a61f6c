package agent

import (
	"encoding/json"
	"testing"
)

var jsonSamples = []string{
	`{}`, `[]`, `{"a":1}`, ` {"a" : [1, 2.5e-3, -0, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9"]} `,
	`"plain"`, `123`, `-1.5E+10`, `{"nested":{"deep":[{"x":[]}]}}`, `{"u":"\ud83d\ude00 ünïcödé"}`,
	// invalid ones
	``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `{"a":1}x`, `{'a':1}`, `01`, `1.`, `1e`, `-`, `.5`,
	`"\x"`, `"\u12G4"`, "\"tab\tinside\"", `tru`, `nul`, `{"a":1 "b":2}`, `[1 2]`, `"unterminated`, `{"a":1}{}`,
	`{"type":"assistant","message":`, "\"bad \xff utf8\"",
}

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range jsonSamples {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json says %v", s, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

func TestFieldsAndStr(t *testing.T) {
	b := []byte(`{"type":"x","n":{"a":[1,{"b":2}]},"s":"caf\u00e9 \"q\"","e":""}`)
	if string(field(b, "n")) != `{"a":[1,{"b":2}]}` || str(field(b, "type")) != "x" || str(field(b, "s")) != `café "q"` ||
		field(b, "missing") != nil || str(field(b, "e")) != "" || str(field(b, "n")) != "" {
		t.Fatal("field lookup")
	}
	var keys []string
	fields(b, func(k, _ []byte) bool { keys = append(keys, string(k)); return true })
	if len(keys) != 4 {
		t.Fatalf("keys %v", keys)
	}
}

func FuzzTextDataJSON(f *testing.F) {
	for _, s := range []string{"", "hi", "a\"b\\c\n\t\x01", "\u2028\u2029", "bad \xff", "ünï <b>&</b>"} {
		f.Add(s, true, "m")
	}
	f.Fuzz(func(t *testing.T, text string, delta bool, id string) {
		d := TextData{Text: text, Delta: delta, MessageID: id, Error: id}
		got := textDataJSON(d)
		var back TextData
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("invalid JSON %q: %v", got, err)
		}
		want, _ := json.Marshal(d)
		var wantBack TextData
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("round trip %+v, encoding/json gives %+v", back, wantBack)
		}
	})
}

func TestScanObjectValidatesAndCollects(t *testing.T) {
	for _, s := range jsonSamples {
		b := []byte(s)
		var m map[string]json.RawMessage
		want := json.Unmarshal(b, &m) == nil && len(b) > 0 && b[skipWS(b, 0)] == '{'
		got := map[string]string{}
		ok := scanObject(b, func(k, v []byte) { got[string(k)] = string(v) })
		if ok != want {
			t.Errorf("scanObject(%q) = %v, want %v", s, ok, want)
			continue
		}
		for k, v := range m {
			if got[k] != string(v) {
				t.Errorf("%q: member %s = %s, want %s", s, k, got[k], v)
			}
		}
	}
	if n := integer([]byte("-123.9")); n != -123 || integer([]byte("77")) != 77 || num([]byte("2.5")) != 2.5 || num([]byte(`"x"`)) != 0 {
		t.Fatal("numbers")
	}
	if got := strs([]byte(`["a", 1, "b\n"]`)); len(got) != 2 || got[1] != "b\n" {
		t.Fatalf("strs %q", got)
	}
}

func FuzzScanObject(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m map[string]json.RawMessage
		i := skipWS(b, 0)
		want := json.Unmarshal(b, &m) == nil && i < len(b) && b[i] == '{'
		if got := scanObject(b, func(k, v []byte) {}); got != want {
			t.Fatalf("scanObject(%q) = %v, want %v", b, got, want)
		}
	})
}

func TestTextDataRawMatchesEncoding(t *testing.T) {
	for _, s := range []string{`"plain"`, `"esc \" \\ \n \u00e9 \ud83d\ude00"`, `""`} {
		var text string
		json.Unmarshal([]byte(s), &text)
		var got, want TextData
		if err := json.Unmarshal(textDataRaw([]byte(s), true, "m\"1", "p"), &got); err != nil {
			t.Fatal(err)
		}
		want = TextData{Text: text, Delta: true, MessageID: "m\"1", ParentToolUseID: "p"}
		if got != want {
			t.Fatalf("%s: %+v", s, got)
		}
	}
}
