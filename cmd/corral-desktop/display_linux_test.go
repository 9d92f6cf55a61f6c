package main

import "testing"

func TestDisplayAvailable(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	if displayAvailable() == nil {
		t.Fatal("no display variables, yet a display was reported")
	}
	t.Setenv("DISPLAY", ":99")
	if err := displayAvailable(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	if err := displayAvailable(); err != nil {
		t.Fatal(err)
	}
}
