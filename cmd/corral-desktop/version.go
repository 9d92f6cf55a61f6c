package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...
// -X main.date=...", like the corral command (goreleaser sets the same three).
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// Versions are the component versions the About box shows.
type Versions struct {
	Corral string `json:"corral"`
	Commit string `json:"commit"`
	Built  string `json:"built"`
	Go     string `json:"go"`
	Wails  string `json:"wails"`
	OS     string `json:"os"`
}

// buildVersions returns the versions of this binary, filling what the
// linker did not set from the module and VCS information Go records.
func buildVersions() Versions {
	v := Versions{Corral: version, Commit: commit, Built: date, Go: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Wails: "unknown"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = fromBuildInfo(v, bi)
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	if v.Built == "" {
		v.Built = "unknown"
	}
	return v
}

func fromBuildInfo(v Versions, bi *debug.BuildInfo) Versions {
	if v.Corral == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Corral = strings.TrimPrefix(bi.Main.Version, "v")
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if v.Commit == "" {
				v.Commit = s.Value
			}
		case "vcs.time":
			if v.Built == "" {
				v.Built = s.Value
			}
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/wailsapp/wails/v2" {
			v.Wails = d.Version
			if d.Replace != nil {
				v.Wails = d.Replace.Version
			}
		}
	}
	return v
}
