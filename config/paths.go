package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// dir expands a leading "~" and requires an absolute result. It does not
// require the directory to exist: the policy resolves symlinks when it is
// built and refuses what it cannot resolve.
func (v *validator) dir(p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%q contains a NUL byte", p)
	}
	e, err := ExpandHome(p, v.home)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(e) {
		return "", fmt.Errorf("%q must be absolute or start with ~/", p)
	}
	return filepath.Clean(e), nil
}

// ExpandHome replaces a leading "~" or "~/" with home. "~user" forms are
// refused because they depend on a user database corral does not consult.
func ExpandHome(p, home string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") && !strings.HasPrefix(p, `~\`) {
		if strings.HasPrefix(p, "~") {
			return "", fmt.Errorf("%q: only ~ and ~/ are expanded, not ~user", p)
		}
		return p, nil
	}
	if home == "" {
		return "", fmt.Errorf("%q: the home directory is unknown", p)
	}
	return filepath.Join(home, p[1:]), nil
}

// checkEnvName accepts a variable name usable in an environment block.
func checkEnvName(k string) error {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return fmt.Errorf("%q is not a valid variable name", k)
	}
	return nil
}

// checkEnvPattern accepts a name or a prefix ending in "*".
func checkEnvPattern(k string) error {
	base := strings.TrimSuffix(k, "*")
	if base == "" && k == "*" {
		return fmt.Errorf("%q would pass the whole environment; list names instead", k)
	}
	if strings.Contains(base, "*") {
		return fmt.Errorf("%q: '*' is only allowed at the end", k)
	}
	return checkEnvName(base)
}
