//go:build !windows

package agent

import "os"

// executable reports whether path is a regular file someone may execute.
func executable(path string) (string, bool) {
	st, err := os.Stat(path)
	if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		return "", false
	}
	return path, true
}
