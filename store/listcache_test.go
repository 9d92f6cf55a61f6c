package store

import (
	"testing"
	"time"
)

func TestListCacheFreshness(t *testing.T) {
	at := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name              string
		gen, recGen       int64
		nowGen, nowRecGen int64
		after             time.Duration
		want              bool
	}{
		{"nothing committed since", 5, 2, 5, 2, time.Hour, true},
		{"events committed, young entry", 5, 2, 9, 2, ActivityStaleness - time.Millisecond, true},
		{"events committed, old entry", 5, 2, 9, 2, ActivityStaleness, false},
		{"a record write, young entry", 5, 2, 6, 3, 0, false},
		{"a record write, nothing else", 5, 2, 5, 3, 0, false},
		{"clock went back", 5, 2, 9, 2, -time.Second, false},
	} {
		if got := fresh(c.gen, c.recGen, at, c.nowGen, c.nowRecGen, at.Add(c.after)); got != c.want {
			t.Errorf("%s: fresh = %v, want %v", c.name, got, c.want)
		}
	}
}
