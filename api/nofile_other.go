//go:build !unix

package api

// openFilesLimit is unknown here (Windows has no per-process descriptor
// limit of that kind): only MaxPendingConns bounds pending connections.
func openFilesLimit() uint64 { return 0 }
