//go:build !windows

package policy

func volumeRoot(string) string { return "/" }
