package stream

import (
	"encoding/json"
	"strings"
	"testing"
)

var validCases = []string{
	``, ` `, `{}`, ` {} `, `[]`, `[ ]`, `1`, `-0.5e+3`, `"x"`, `null`, `true`, `false`,
	`{"a":[1,{"b":null}],"c":"\u00e9\n"}`, `[1,2,]`, `{"a":1,}`, `{"a" 1}`, `[1 2]`,
	`{} {}`, `{}x`, `01`, `1.`, `.5`, `-`, `tru`, `nul`, `"\x"`, `"\u12"`, "\"\x01\"",
	"\"\xff\"", "[\"\xc3\"]", `{"a":1}` + "\t", "\n[1]\r", `[[[[]]]]`, `[[[[]]]`, `{"a":{"b":{}}}}`,
	strings.Repeat("[", 200) + strings.Repeat("]", 200),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, c := range append(validCases, badLines...) {
		if got, want := Valid([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("Valid(%.80q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, c := range append(validCases, badLines...) {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}
