// Command smokeagent is the scripted Claude-Code-compatible agent
// (internal/fakeagent) as a standalone program, for the desktop smoke test:
// the desktop binary runs it as the agent "fake" through the real Claude
// adapter, policy and supervisor.
package main

import (
	"os"

	"github.com/corral-dev/corral/internal/fakeagent"
)

func main() {
	os.Exit(fakeagent.Main(os.Stdin, os.Stdout))
}
