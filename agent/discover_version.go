package agent

import (
	"strconv"
	"strings"
)

// VersionCheck is how an installed CLI's version relates to the version
// its adapter was verified against (Entry.CLI.Tested).
type VersionCheck string

// The outcomes of CheckVersion.
const (
	VersionUnknown VersionCheck = ""       // either version is not a semantic version
	VersionTested  VersionCheck = "tested" // the verified version
	VersionNewer   VersionCheck = "newer"  // newer: its output may have changed
	VersionOlder   VersionCheck = "older"  // older: it may lack what the adapter uses
)

// CheckVersion compares version (as ParseVersion reads it) with tested by
// major, minor and patch number; a pre-release or build suffix is ignored.
func CheckVersion(version, tested string) VersionCheck {
	v, ok1 := semver(version)
	t, ok2 := semver(tested)
	if !ok1 || !ok2 {
		return VersionUnknown
	}
	for i := range v {
		switch {
		case v[i] > t[i]:
			return VersionNewer
		case v[i] < t[i]:
			return VersionOlder
		}
	}
	return VersionTested
}

// semver reads "MAJOR.MINOR.PATCH" with an optional "-pre" or "+build"
// suffix.
func semver(s string) ([3]int, bool) {
	var out [3]int
	s = ParseVersion(s)
	if s == "" {
		return out, false
	}
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
