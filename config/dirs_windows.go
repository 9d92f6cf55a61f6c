package config

import (
	"errors"
	"os"
)

// userDataDir is %LocalAppData%: data such as a database is per machine and
// must not roam with the profile.
func userDataDir() (string, error) {
	if d := os.Getenv("LocalAppData"); d != "" {
		return d, nil
	}
	return "", errors.New("%LocalAppData% is not set")
}
