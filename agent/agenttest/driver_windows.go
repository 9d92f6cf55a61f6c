//go:build windows

package agenttest

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

func killGroup(cmd *exec.Cmd) {
	cmd.Process.Kill() //nolint:errcheck // may be gone
}
