//go:build !windows

package policy

func samePath(a, b string) bool { return a == b }
