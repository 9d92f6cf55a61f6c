package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWindowStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if s := loadWindowState(dir); s.Valid || s.Width != defaultWidth || s.Height != defaultHeight {
		t.Fatalf("nothing saved: %+v", s)
	}
	want := windowState{X: 10, Y: 20, Width: 900, Height: 600, HasPosition: true}
	if err := saveWindowState(dir, want); err != nil {
		t.Fatal(err)
	}
	got := loadWindowState(dir)
	want.Valid = true
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if err := saveWindowState(dir, windowState{}); err == nil {
		t.Fatal("an empty size was saved")
	}
	// no temporary files left behind
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("files: %v", ents)
	}
}

func TestWindowStateCorruptFileIsIgnored(t *testing.T) {
	dir := t.TempDir()
	for _, body := range []string{"{", `{"width":-5,"height":10}`, `[]`} {
		os.WriteFile(filepath.Join(dir, windowStateFile), []byte(body), 0o600)
		if s := loadWindowState(dir); s.Valid || s.Width != defaultWidth {
			t.Errorf("%s: %+v", body, s)
		}
	}
}

func TestFitToScreen(t *testing.T) {
	hd := []screen{{Width: 800, Height: 600}, {Width: 1920, Height: 1080, Primary: true}}
	cases := []struct {
		name    string
		in      windowState
		screens []screen
		want    windowState
	}{
		{"too small grows to the minimum", windowState{Width: 100, Height: 100}, nil,
			windowState{Width: minWidth, Height: minHeight}},
		{"too large shrinks to the primary screen", windowState{Width: 4000, Height: 3000}, hd,
			windowState{Width: 1920, Height: 1080}},
		{"on screen keeps its place", windowState{X: 100, Y: 50, Width: 800, Height: 600, HasPosition: true}, hd,
			windowState{X: 100, Y: 50, Width: 800, Height: 600, HasPosition: true}},
		{"off to the right is centred", windowState{X: 2500, Y: 50, Width: 800, Height: 600, HasPosition: true}, hd,
			windowState{Width: 800, Height: 600}},
		{"above the top is centred", windowState{X: 10, Y: -300, Width: 800, Height: 600, HasPosition: true}, hd,
			windowState{Width: 800, Height: 600}},
		{"off to the left is centred", windowState{X: -790, Y: 10, Width: 800, Height: 600, HasPosition: true}, hd,
			windowState{Width: 800, Height: 600}},
		{"partly off the left stays", windowState{X: -700, Y: 10, Width: 800, Height: 600, HasPosition: true}, hd,
			windowState{X: -700, Y: 10, Width: 800, Height: 600, HasPosition: true}},
		{"first screen when none is primary", windowState{Width: 1000, Height: 700}, []screen{{Width: 800, Height: 600}},
			windowState{Width: 800, Height: 600}},
	}
	for _, c := range cases {
		if got := fitToScreen(c.in, c.screens); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
