package stream

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
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
	// UTF-8 in strings, valid and not, in the 8-byte scan and in its tail.
	`["é"]`, `{"ключ":"значение, 日本語 😀"}`, "[\"abcdefgh\xc3\xa9ijklmnop\"]", "[\"abcdefghijklmnop\xff\"]",
	"[\"\xc3\"]", "[\"ab\xc3\"]", "[\"\xe2\x82\"]", "[\"\xed\xa0\x80\"]", "[\"\xc0\xaf\"]",
	"[\"\xf4\x90\x80\x80\"]", "{\"\xff\":1}", "[\"ok\"]\xff", "\xef\xbb\xbf[]", "[\"\xe2\x80\xa8\"]",
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, c := range append(validCases, badLines...) {
		checkValid(t, []byte(c))
	}
}

func checkValid(t *testing.T, b []byte) {
	t.Helper()
	if got, want := Valid(b), json.Valid(b); got != want {
		t.Errorf("Valid(%.80q) = %v, encoding/json says %v", b, got, want)
	}
	if got, want := ValidUTF8JSON(b), json.Valid(b) && utf8.Valid(b); got != want {
		t.Errorf("ValidUTF8JSON(%.80q) = %v, want %v", b, got, want)
	}
	checkScanObject(t, b)
}

func FuzzValid(f *testing.F) {
	for _, c := range append(validCases, badLines...) {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkValid(t, b)
	})
}
