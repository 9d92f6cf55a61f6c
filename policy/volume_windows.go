package policy

import "path/filepath"

// volumeRoot is the drive or share root of p ("C:\").
func volumeRoot(p string) string { return filepath.VolumeName(p) + `\` }
