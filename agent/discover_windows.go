//go:build windows

package agent

import (
	"os"
	"path/filepath"
	"strings"
)

// executable finds path with one of the PATHEXT extensions (npm installs
// .cmd shims on Windows).
func executable(path string) (string, bool) {
	exts := strings.Split(strings.ToLower(os.Getenv("PATHEXT")), ";")
	if len(exts) == 1 && exts[0] == "" {
		exts = []string{".com", ".exe", ".bat", ".cmd"}
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != "" {
		for _, e := range exts {
			if e == ext {
				if st, err := os.Stat(path); err == nil && !st.IsDir() {
					return path, true
				}
			}
		}
	}
	for _, e := range exts {
		if st, err := os.Stat(path + e); err == nil && !st.IsDir() {
			return path + e, true
		}
	}
	return "", false
}
