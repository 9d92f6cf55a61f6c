package sessioncontract

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
)

// A session budget below one turn's cost: the real Claude Code reports
// the call's input tokens as the reply starts streaming (message_start),
// which the price table puts over the cap, so corral interrupts the turn
// long before the reply ends, announces it, and refuses the next turn
// with ErrBudget until the cap is raised.
func TestClaudeBudgetInterruptsAndRefuses(t *testing.T) {
	r := newRig(t, clitest.Claude, mockllm.Slow(strings.Repeat("word ", 40), 300*time.Millisecond))
	capUSD := 0.05
	s, err := r.mgr().Create(r.ctx, session.CreateOptions{Agent: r.agent, Cwd: r.cwd, Budget: &store.Budget{USD: &capUSD}})
	if err != nil {
		t.Fatal(err)
	}
	w := r.watch(s.ID)
	run := r.send(s.ID, "hello there")
	evs := w.turnEnd(run)
	notices := ofKind(evs, event.BudgetNotice)
	if len(notices) != 1 {
		t.Fatalf("%d budget notices: %s", len(notices), kinds(evs))
	}
	n := data[session.BudgetNotice](t, notices[0])
	if n.Level != "reached" || n.Scope != "session" || n.Unit != "usd" || !n.Interrupted || n.Used < capUSD {
		t.Fatalf("notice %+v", n)
	}
	if tc := completed(t, evs); tc.OK || tc.Error == nil || tc.Error.Code != agent.CodeInterrupted {
		t.Fatalf("turn.completed %+v", tc)
	}
	if got := text(t, evs); strings.Count(got, "word") >= 40 {
		t.Fatalf("the turn ran to its end: %q", got)
	}
	w.settled(session.Interrupted)
	// The spend recorded for the cut turn is what the call used so far,
	// not the 0 the CLI reports for an interrupted call.
	sp, err := r.rt.Store.SpendOf(r.ctx, s.ID, "", -1)
	if err != nil || sp.USD < capUSD || sp.Tokens == 0 {
		t.Fatalf("recorded spend %+v, %v", sp, err)
	}
	if _, err := r.mgr().Send(r.ctx, s.ID, "again"); !errors.Is(err, session.ErrBudget) {
		t.Fatalf("second turn: %v, want ErrBudget", err)
	}
	// Raised: turns run again.
	more := 100.0
	if err := r.mgr().SetBudget(r.ctx, s.ID, store.Budget{USD: &more}); err != nil {
		t.Fatal(err)
	}
	r.mock.SetScenario(mockllm.Echo())
	run = r.send(s.ID, "after the raise")
	if tc := completed(t, w.turnEnd(run)); !tc.OK {
		t.Fatalf("turn after the raise: %+v", tc)
	}
}
