package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
)

// windowStateFile is where the window's geometry is kept, in the data
// directory: one window per data directory, so one file.
const windowStateFile = "desktop-window.json"

// Window size limits: the default size a first start opens with, and the
// smallest size the layout (session list beside a conversation) works at.
const (
	defaultWidth  = 1200
	defaultHeight = 800
	minWidth      = 640
	minHeight     = 420
)

// windowState is the remembered geometry of the main window. Positions are
// in screen coordinates; Valid is false when nothing was remembered.
type windowState struct {
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	Maximised bool `json:"maximised,omitempty"`
	// HasPosition is false when only the size is known (a window manager
	// that does not report positions, e.g. Wayland): the window is then
	// centred by the system.
	HasPosition bool `json:"hasPosition,omitempty"`
	Valid       bool `json:"-"`
}

// screen is one monitor's size (the window is placed on the primary one;
// Wails v2 does not report monitor origins).
type screen struct {
	Width, Height int
	Primary       bool
}

// loadWindowState reads the remembered geometry from dataDir. A missing or
// unreadable file yields the default geometry (Valid false): a corrupt
// state file must never stop the app from opening.
func loadWindowState(dataDir string) windowState {
	b, err := os.ReadFile(filepath.Join(dataDir, windowStateFile))
	def := windowState{Width: defaultWidth, Height: defaultHeight}
	if err != nil {
		return def
	}
	var s windowState
	if json.Unmarshal(b, &s) != nil || s.Width <= 0 || s.Height <= 0 {
		return def
	}
	s.Valid = true
	return s
}

// saveWindowState writes s atomically (temporary file, then rename), so a
// crash while saving leaves the previous geometry, not a torn file.
func saveWindowState(dataDir string, s windowState) error {
	if s.Width <= 0 || s.Height <= 0 {
		return errors.New("window state: empty size")
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dataDir, windowStateFile), b)
}

// fitToScreen returns s adjusted so the window is usable on the primary
// screen: never smaller than the minimum size, never larger than the
// screen, and with at least a grab-able part of it on the screen (a window
// remembered on a monitor that has since been unplugged comes back).
// Without screens (not reported) only the minimum size is applied.
func fitToScreen(s windowState, screens []screen) windowState {
	s.Width = max(s.Width, minWidth)
	s.Height = max(s.Height, minHeight)
	var scr *screen
	for i := range screens {
		if screens[i].Primary || scr == nil {
			scr = &screens[i]
		}
	}
	if scr == nil || scr.Width <= 0 || scr.Height <= 0 {
		return s
	}
	s.Width = min(s.Width, scr.Width)
	s.Height = min(s.Height, scr.Height)
	if s.HasPosition {
		// keep at least 80×40 pixels (the title bar's corner) visible
		const grabW, grabH = 80, 40
		if s.X > scr.Width-grabW || s.X+s.Width < grabW || s.Y < 0 || s.Y > scr.Height-grabH {
			s.HasPosition = false // let the system centre it
			s.X, s.Y = 0, 0
		}
	}
	return s
}
