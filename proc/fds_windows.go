//go:build windows

package proc

// CloseOnExecAll has nothing to do on Windows: os/exec passes a child only
// the handles it names (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), whatever the
// inheritable flag of the others.
func CloseOnExecAll() error { return nil }
