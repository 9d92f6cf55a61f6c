//go:build windows

package proc

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

type sysSignal int

const (
	sigTerm sysSignal = 15
	sigKill sysSignal = 9
)

// sysState is the job object that holds the child and everything it starts.
type sysState struct {
	job windows.Handle
}

func sysProcAttr(*Spec) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		// A new process group lets CTRL_BREAK reach the child alone; no
		// console window flashes up for it.
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_NO_WINDOW,
	}
}

func lockThread() (unlock func()) { return func() {} }
func waitExitNoReap(int) bool     { return false }

// afterStart puts the child into a job object that kills every process in it
// when the job's last handle closes — also when corral itself dies.
func afterStart(cmd *execCmd) sysState {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return sysState{}
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return sysState{}
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return sysState{}
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return sysState{}
	}
	return sysState{job: job}
}

func releaseSys(s sysState) {
	if s.job != 0 {
		windows.CloseHandle(s.job)
	}
}

func groupSignal(p *os.Process, s sysState, sig sysSignal) error {
	if sig == sigTerm {
		return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid))
	}
	if s.job != 0 {
		return windows.TerminateJobObject(s.job, 1)
	}
	err := p.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

func fillStatus(st *ExitStatus, ps *os.ProcessState) { st.Code = ps.ExitCode() }

func toSignal(s os.Signal) (sysSignal, bool) {
	switch s {
	case os.Kill:
		return sigKill, true
	case os.Interrupt:
		return sigTerm, true
	}
	return 0, false
}
