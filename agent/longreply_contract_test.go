package agent_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/agent/agenttest"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
)

// longText is a 400-word answer streamed one word per event, the shape of
// a real answer's stream (many small deltas) rather than the handshake-
// heavy shape of one-line mock replies.
func longText() string {
	var b strings.Builder
	for i := 0; i < 400; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "word%d", i)
	}
	return b.String()
}

func longReply(t *testing.T, p *agenttest.Proc, cli clitest.CLI) {
	t.Helper()
	if err := p.Conn.SendUserTurn("tell me a long story"); err != nil {
		t.Fatal(err)
	}
	tr, err := p.WaitTurn(deadline(t), turnIdle)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text() != longText() {
		t.Fatalf("reassembled text differs: %d bytes, want %d", len(tr.Text()), len(longText()))
	}
	record(t, cli, "long-reply", p.Stdout())
}

func TestClaudeContractLongReply(t *testing.T) {
	p, _, _ := claudeSession(t, mockllm.Text(longText()), "")
	longReply(t, p, clitest.Claude)
}

func TestCodexContractLongReply(t *testing.T) {
	p, _, _ := codexSession(t, mockllm.Text(longText()))
	longReply(t, p, clitest.Codex)
}

var _ = agent.Claude{}
