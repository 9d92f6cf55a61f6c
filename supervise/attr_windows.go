//go:build windows

package supervise

import "syscall"

const createNewProcessGroup = 0x00000200

func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: createNewProcessGroup}
}
