package config

import (
	"strings"

	"github.com/BurntSushi/toml"
)

// findKeyLine returns the 1-based line on which key is defined, following
// table headers so that "capability.progam" finds the progam line inside a
// [[capability]] block; 0 when it cannot be found.
func findKeyLine(data []byte, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	var table []string
	lines := strings.Split(string(data), "\n")
	last := key[len(key)-1]
	fallback := 0
	for i, line := range lines {
		s := strings.TrimSpace(line)
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			h := strings.Trim(s, "[] \t")
			if j := strings.Index(h, "]"); j >= 0 {
				h = h[:j]
			}
			table = splitDotted(h)
			if equalKeys(table, key) {
				return i + 1
			}
			continue
		}
		eq := strings.Index(s, "=")
		if eq < 0 {
			continue
		}
		full := append(append([]string{}, table...), splitDotted(s[:eq])...)
		if equalKeys(full, key) {
			return i + 1
		}
		// An inline table: the key appears after the '=' on this line.
		if fallback == 0 && hasPrefix(key, full) && containsKey(s[eq+1:], last) {
			fallback = i + 1
		}
		if fallback == 0 && len(key) == 1 && containsKey(s, last) {
			fallback = i + 1
		}
	}
	return fallback
}

func splitDotted(s string) []string {
	parts := strings.Split(s, ".")
	out := parts[:0]
	for _, p := range parts {
		out = append(out, strings.Trim(strings.TrimSpace(p), `"'`))
	}
	return out
}

func equalKeys(a []string, b toml.Key) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasPrefix(k toml.Key, p []string) bool {
	if len(p) > len(k) {
		return false
	}
	for i := range p {
		if k[i] != p[i] {
			return false
		}
	}
	return true
}

var keyBoundary = func(c byte) bool {
	return c == ' ' || c == '\t' || c == '{' || c == ',' || c == '"' || c == '\''
}

// containsKey reports whether name appears in s as a key, i.e. followed by
// optional spaces and '='.
func containsKey(s, name string) bool {
	for off := 0; ; {
		j := strings.Index(s[off:], name)
		if j < 0 {
			return false
		}
		j += off
		before := j == 0 || keyBoundary(s[j-1])
		rest := strings.TrimLeft(s[j+len(name):], ` "'`+"\t")
		if before && strings.HasPrefix(rest, "=") {
			return true
		}
		off = j + 1
	}
}
