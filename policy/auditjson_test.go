package policy

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecisionJSON holds the hand-written encoder to encoding/json: both
// must decode to the same value, and plain strings must encode identically.
func FuzzDecisionJSON(f *testing.F) {
	for _, s := range []string{"plain", "quote\"back\\slash", "nl\nret\rtab\t\x00\x1f", "bad\xff\xfeutf8", "\u2028\u2029", "<html>&", "日本語"} {
		f.Add(s, true, 3)
	}
	f.Fuzz(func(t *testing.T, s string, allowed bool, pos int) {
		d := DecisionData{Allowed: allowed, Capability: s, Rule: s, Args: []string{s, "", s + s}, Cwd: s, Dir: s,
			Program: s, EnvKeys: []string{s}, Pattern: s, Given: s, Message: s, Owner: s, DryRun: allowed,
			ArgsOmitted: pos, ArgsTruncated: !allowed}
		if pos%2 == 0 {
			d.Position = &pos
		}
		mine, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		type plain DecisionData // same tags, no MarshalJSON method
		ref, err := json.Marshal(plain(d))
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(mine, &a); err != nil {
			t.Fatalf("invalid JSON %q: %v", mine, err)
		}
		if err := json.Unmarshal(ref, &b); err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("decoded values differ:\nmine %s\nref  %s", mine, ref)
		}
	})
}

func TestDecisionJSONNilArgs(t *testing.T) {
	b, _ := DecisionData{Rule: RuleAllow}.MarshalJSON()
	if string(b) != `{"allowed":false,"capability":"","rule":"allow","args":null}` {
		t.Errorf("got %s", b)
	}
}
