//go:build unix

package proc

import (
	"errors"
	"os"
	"syscall"
)

type sysSignal = syscall.Signal

const (
	sigTerm = syscall.SIGTERM
	sigKill = syscall.SIGKILL
)

// sysState holds nothing on Unix: the process group is named by the pid.
type sysState struct{}

func afterStart(*execCmd) sysState { return sysState{} }
func releaseSys(sysState)          {}

// groupSignal signals the process group led by the child. The child was
// started with Setpgid (or Setsid in PTY mode), so its pid is the group id.
func groupSignal(p *os.Process, _ sysState, sig sysSignal) error {
	err := syscall.Kill(-p.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

func fillStatus(st *ExitStatus, ps *os.ProcessState) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		st.Code = -1
		st.Signal = int(ws.Signal())
		st.SignalName = signalName(ws.Signal())
		return
	}
	st.Code = ps.ExitCode()
}

func toSignal(s os.Signal) (sysSignal, bool) {
	sig, ok := s.(syscall.Signal)
	return sig, ok
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGILL:
		return "SIGILL"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGBUS:
		return "SIGBUS"
	case syscall.SIGFPE:
		return "SIGFPE"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	case syscall.SIGALRM:
		return "SIGALRM"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	case syscall.SIGUSR2:
		return "SIGUSR2"
	}
	return "signal " + itoa(int(s))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
