package agent

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves goroutines behind: the contract
// tests' driver owns reader goroutines per process and the mock owns
// stalled streams.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
