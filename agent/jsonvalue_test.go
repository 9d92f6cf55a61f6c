package agent

import (
	"encoding/json"
	"testing"

	"github.com/corral-dev/corral/stream"
)

func TestStrNumStrs(t *testing.T) {
	b := []byte(`{"type":"x","n":{"a":[1,{"b":2}]},"s":"caf\u00e9 \"q\"","e":""}`)
	if str(stream.Member(b, "type")) != "x" || str(stream.Member(b, "s")) != `café "q"` ||
		str(stream.Member(b, "e")) != "" || str(stream.Member(b, "n")) != "" || str(nil) != "" || str([]byte(`"bad \x"`)) != "" {
		t.Fatal("str")
	}
	if n := integer([]byte("-123.9")); n != -123 || integer([]byte("77")) != 77 || num([]byte("2.5")) != 2.5 || num([]byte(`"x"`)) != 0 {
		t.Fatal("numbers")
	}
	if got := strs([]byte(`["a", 1, "b\n"]`)); len(got) != 2 || got[1] != "b\n" {
		t.Fatalf("strs %q", got)
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
