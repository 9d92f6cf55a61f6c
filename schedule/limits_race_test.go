package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
)

// TestResumeKeepsANewerLimit: the resumed turn hits a new limit before
// the scheduler hears that its send returned; the outcome of the resume
// must not clear that newer limit (it would leave a rate_limited session
// with no reset and no timer).
func TestResumeKeepsANewerLimit(t *testing.T) {
	e := newEnv(t)
	e.auto = true
	e.start()
	first := e.clk.Now().Add(30 * time.Second)
	e.limitTurn("s1", "build it", agent.TurnError{Code: agent.CodeAgent,
		Message: fmt.Sprintf("Claude AI usage limit reached|%d", first.Unix())})
	e.eventually("the first limit", func() bool { l, _ := e.sched.Limit("s1"); return l.ResetAt.Equal(first) })
	second := first.Add(time.Hour)
	e.sess.mu.Lock()
	e.sess.onSend = func(id string) {
		// The resumed turn is limited again while Send has not returned.
		e.limitTurn(id, "build it again", agent.TurnError{Code: agent.CodeAgent,
			Message: fmt.Sprintf("Claude AI usage limit reached|%d", second.Unix())})
		e.eventually("the newer limit", func() bool { l, _ := e.sched.Limit(id); return l.ResetAt.Equal(second) })
	}
	e.sess.mu.Unlock()
	e.clk.Advance(30 * time.Second)
	e.eventually("the resume's outcome", func() bool {
		evs, _ := e.st.Events("s1", 0, 100)
		return len(evs) > 0 && evs[len(evs)-1].Kind == event.SessionResumed
	})
	if _, err := e.sched.ListSchedules(); err != nil { // a round trip through the loop
		t.Fatal(err)
	}
	l, ok := e.sched.Limit("s1")
	if !ok || !l.ResetAt.Equal(second) || !l.Armed {
		t.Fatalf("the newer limit was lost: %+v", l)
	}
	stored, err := e.st.SessionLimits(t.Context())
	if err != nil || len(stored) != 1 || !stored[0].ResetAt.Equal(second) {
		t.Fatalf("stored limits %+v %v", stored, err)
	}
}
