//go:build windows

package supervise

import "time"

func ownCPU() time.Duration { return -1 }
