//go:build !windows

package policy

import "strings"

// envKey is the identity: names are case-sensitive outside Windows.
func envKey(k string) string { return k }

func hasEnvPrefix(k, prefix string) bool { return strings.HasPrefix(k, prefix) }

// baseAgentEnv is what every agent inherits from corral.
var baseAgentEnv = []string{"HOME", "PATH"}
