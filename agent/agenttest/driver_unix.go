//go:build unix

package agenttest

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the child in its own process group so Kill reaches
// the whole tree (Codex's node wrapper, Gemini's relaunched child).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(cmd *exec.Cmd) {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
		// The group could not be signalled (ESRCH: it is gone
		// already): kill the process itself at least.
		_ = cmd.Process.Kill() // its error says it is gone: nothing left to do
	}
}
