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
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) //nolint:errcheck // may be gone
}
