package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

// Every line is a valid JSON object with a type, the mix averages about 550
// bytes a line, and the same seed gives the same bytes.
func TestGenerate(t *testing.T) {
	var a, b bytes.Buffer
	const n = 20000
	size, err := Generate(&a, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(&b, n, 1); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) || size != int64(a.Len()) {
		t.Fatal("not deterministic, or size misreported")
	}
	types := map[string]int{}
	sc := bufio.NewScanner(&a)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var v struct {
			Type  string `json:"type"`
			Event struct {
				Type string `json:"type"`
			} `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d: %v: %s", lines, err, sc.Bytes())
		}
		types[v.Type]++
		lines++
	}
	if lines != n {
		t.Fatalf("%d lines", lines)
	}
	for _, typ := range []string{"stream_event", "assistant", "user", "result", "system"} {
		if types[typ] == 0 {
			t.Errorf("no %s line", typ)
		}
	}
	if avg := float64(size) / n; avg < 500 || avg > 600 {
		t.Errorf("average line %.0f bytes, want about 550", avg)
	}
	t.Logf("average %.0f bytes/line, mix %v", float64(size)/n, types)
}
