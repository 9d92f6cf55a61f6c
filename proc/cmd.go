package proc

import "os/exec"

type execCmd = exec.Cmd
