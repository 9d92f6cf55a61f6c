package stream

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helperMain(mode, os.Args[len(os.Args)-helperArgs(os.Args):])
		return
	}
	goleak.VerifyTestMain(m)
}

// helperArgs counts the arguments after "-test.run=^$" that startHelper
// passed to the helper.
func helperArgs(args []string) int {
	for i, a := range args {
		if a == "-test.run=^$" {
			return len(args) - i - 1
		}
	}
	return 0
}
