package store_test

import (
	"encoding/json"
	"testing"
)

func TestGeneratorShape(t *testing.T) {
	evs := genEvents("s", 1000)
	total := 0
	for _, e := range evs {
		if !json.Valid(e.Raw) || !json.Valid(e.Data) {
			t.Fatalf("invalid JSON: %s / %s", e.Raw, e.Data)
		}
		total += len(e.Raw) + len(e.Data)
	}
	avg := total / len(evs)
	if avg < 450 || avg > 650 {
		t.Fatalf("average event size %d bytes, want about 550", avg)
	}
	t.Logf("average event size %d bytes", avg)
}
