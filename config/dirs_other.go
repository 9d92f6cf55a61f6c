//go:build !windows && !darwin

package config

import (
	"errors"
	"os"
	"path/filepath"
)

// userDataDir follows the XDG base directory specification: $XDG_DATA_HOME
// when it is set to an absolute path, else ~/.local/share.
func userDataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	if home == "" {
		return "", errors.New("neither $XDG_DATA_HOME nor $HOME is set")
	}
	return filepath.Join(home, ".local", "share"), nil
}
