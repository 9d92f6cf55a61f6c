package policy

import "strings"

// envKey folds case: Windows environment names are case-insensitive, so
// "Path" and "PATH" are one variable.
func envKey(k string) string { return strings.ToUpper(k) }

func hasEnvPrefix(k, prefix string) bool {
	return len(k) >= len(prefix) && strings.EqualFold(k[:len(prefix)], prefix)
}

// baseAgentEnv is what every agent inherits on Windows: the profile and
// system directories programs need to start at all.
var baseAgentEnv = []string{
	"PATH", "PATHEXT", "USERPROFILE", "HOMEDRIVE", "HOMEPATH", "APPDATA",
	"LOCALAPPDATA", "SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP", "HOME",
}
