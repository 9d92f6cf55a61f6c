package config

import (
	"os"
	"path/filepath"
)

// DefaultPath is the configuration file used when --config is not given:
// corral/config.toml in the user's configuration directory (os.UserConfigDir:
// $XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support on
// macOS, %AppData% on Windows).
func DefaultPath() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "corral", "config.toml"), nil
}

// DefaultDataDir is the data directory used when --data is not given. It
// holds corral.db and serve.json. See userDataDir for each OS.
func DefaultDataDir() (string, error) {
	d, err := userDataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "corral"), nil
}
