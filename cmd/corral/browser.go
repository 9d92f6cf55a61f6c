package main

import (
	"os/exec"
	goruntime "runtime"
)

// openBrowser opens url in the user's default browser without waiting.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch goruntime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // error ignored: the opener's exit status says nothing useful
	return nil
}
