package policy

import "strings"

// samePath compares without case: NTFS paths are case-insensitive.
func samePath(a, b string) bool { return strings.EqualFold(a, b) }
