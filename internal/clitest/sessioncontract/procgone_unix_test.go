//go:build unix

package sessioncontract

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

// waitGroupGone waits until no process of the group pgid is left (corral
// starts every agent in its own process group, so a CLI's children, such
// as the node process Gemini CLI relaunches itself as, are in it).
func waitGroupGone(t *testing.T, ctx context.Context, pgid int) {
	t.Helper()
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("process group %d still has processes: %v", pgid, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
