package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

// Send starts a turn with text and returns its run id. The session must
// not be running a turn already (ErrConflict) nor be terminated.
func (m *Manager) Send(ctx context.Context, id, text string) (string, error) {
	r, err := m.send(ctx, id, agent.UserTurn{Text: text}, false)
	return r.RunID, err
}

// send is Send, or with queue SendOrQueue (queue.go), of a turn that may
// carry attachments (SendWithAttachments, attach.go).
func (m *Manager) send(ctx context.Context, id string, ut agent.UserTurn, queue bool) (SendResult, error) {
	text := ut.Text
	l, rec, err := m.ensureLive(id)
	if err != nil {
		return SendResult{}, err
	}
	if meta := readMeta(rec.Meta); meta.Workspace != nil && m.wsRemoved(id, meta) {
		return SendResult{}, fmt.Errorf("%w: the workspace of session %s was removed", ErrConflict, id)
	}
	m.waitCheckpoint(ctx, id)
	if rec.Title == "" && rec.Status != string(Terminated) {
		// A session created without a prompt is named after its first message.
		m.autoTitle(l, text, rec.Cwd)
	}
	type step struct {
		res  SendResult
		wait Proc // an exiting agent to wait for first
		exit time.Duration
	}
	st, err := call(m, l, func() (step, error) {
		if queue {
			if r, ok, err := m.maybeQueue(l, ut); ok || err != nil {
				return step{res: r}, err
			}
		}
		if p := l.proc; p != nil && l.turn == "" && (l.retiring || l.adapter.PerTurn()) {
			// The agent is exiting: the previous turn of a per-turn agent
			// ended with the agent's own report and the session already
			// shows idle (Gemini takes a moment after its result line), or
			// the agent was stopped (idle cleanup, the idle check of a
			// turn) and the message must not go to it. The caller waits
			// for the exit, bounded, then starts a fresh agent, rather than
			// refuse a message the UI offered.
			return step{wait: p, exit: exitWait(l.retiring, m.o.StopGrace)}, nil
		}
		run, err := m.sendNow(l, ut)
		return step{res: SendResult{RunID: run}}, err
	})
	if err != nil || st.wait == nil {
		return st.res, err
	}
	// Waiting here, not on the actor: the agent's last events and its
	// run.exited are handled meanwhile.
	t := time.NewTimer(st.exit)
	select {
	case <-st.wait.Done():
	case <-t.C:
	}
	t.Stop()
	return call(m, l, func() (SendResult, error) {
		if l.proc == st.wait && isDone(st.wait) {
			// Its run.exited is on the way; onProcessEvent ignores it once
			// another process is current.
			l.proc, l.conn, l.retiring = nil, nil, false
		}
		if queue {
			if r, ok, err := m.maybeQueue(l, ut); ok || err != nil {
				return r, err
			}
		}
		run, err := m.sendNow(l, ut)
		return SendResult{RunID: run}, err
	})
}

// sendNow starts a turn if the session can (sendBlock), on the actor.
func (m *Manager) sendNow(l *live, ut agent.UserTurn) (string, error) {
	exiting := (l.adapter.PerTurn() && l.proc != nil) || l.retiring
	if err := sendBlock(m.stateOf(l), l.id, exiting); err != nil {
		return "", err
	}
	if err := m.budgetBlock(l); err != nil {
		return "", err
	}
	return m.beginTurn(l, ut)
}

// beginTurn starts a turn: the agent process (a per-turn agent's
// carries the turn), the turn's run and its run.started, the idle check,
// the status, the message count, and the text to a persistent agent.
func (m *Manager) beginTurn(l *live, ut agent.UserTurn) (string, error) {
	text := ut.Text
	var turn *agent.Turn
	if l.adapter.PerTurn() {
		turn = &agent.Turn{Text: text, Attachments: ut.Attachments}
	}
	if err := m.start(l, turn); err != nil {
		m.setStatus(l, Error, err.Error())
		return "", err
	}
	runID := newID("r-")
	if err := m.o.Recorder.QueueCreateRun(store.Run{ID: runID, SessionID: l.id, ProcessID: l.proc.ID()}); err != nil {
		if turn != nil {
			// The process just started carries this turn, which cannot be
			// recorded: stop it rather than leave it running with no turn
			// (the next message waits for its exit, as after an idle stop).
			l.retiring = true
			l.proc.Stop()
		}
		return "", err
	}
	l.turn, l.newAgentID = runID, ""
	m.markBusy(l)
	l.lostAtStart = m.o.Recorder.LostEvents(l.id)
	l.lastActivity = m.o.Now()
	started := map[string]any{"prompt": text, "pid": l.proc.Info().Pid}
	if len(ut.Attachments) > 0 {
		started["attachments"] = attachmentInfos(ut.Attachments)
	}
	ev := event.New(event.RunStarted, started)
	ev.SessionID, ev.RunID, ev.ProcessID, ev.Time = l.id, runID, l.proc.ID(), m.o.Now()
	m.append(ev)
	if l.turnIdle > 0 {
		m.armIdle(l, runID, l.turnIdle)
	}
	m.setStatus(l, Processing, "")
	m.record("count the message", l.id, m.o.Recorder.QueueAddUsage(l.id, store.Usage{Messages: 1}))
	if turn == nil {
		if err := agent.SendTurn(l.conn, ut); err != nil {
			m.finishTurn(l, "crashed", Error, "cannot write to the agent: "+err.Error())
			return runID, fmt.Errorf("%w: cannot write to the agent: %v", ErrConflict, err)
		}
	}
	return runID, nil
}

// checkTurnIdle is the idle check of turn run (see decideIdle): a turn
// whose agent printed nothing for the idle timeout ends with an
// idle_timeout error event and its run.exited (reason "timeout"), the
// session goes to error, and the agent is stopped (its in-flight request
// is abandoned; the next message starts it again, resuming its
// conversation). An agent that never reports the result of a call it
// started (Gemini's ACP mode after a rejection) leaves that turn without
// the check.
func (m *Manager) checkTurnIdle(l *live, run string) {
	if l.turn != run {
		return
	}
	l.idleStop = nil
	m.applyTurn(l, inIdleCheck{Run: run})
}

// armIdle arms the idle check of turn run: after d, the check is a
// message to the session's actor.
func (m *Manager) armIdle(l *live, run string, d time.Duration) {
	l.idleStop = m.o.AfterFunc(d, func() {
		m.post(l, idleCheckMsg{run: run}) // error ignored: an ended session has no turn to check
	})
}

// perTurnExitWait bounds how long Send waits for the process of a per-turn
// agent's finished turn to exit.
const perTurnExitWait = 10 * time.Second

// exitWait is how long Send waits for an exiting agent: a stopped
// (retiring) one may take its whole stop grace (0: the supervisor's
// default) before it is killed, and then some.
func exitWait(retiring bool, grace time.Duration) time.Duration {
	if !retiring {
		return perTurnExitWait
	}
	if grace <= 0 {
		grace = supervise.DefaultStopGrace
	}
	return grace + perTurnExitWait
}

func isDone(p Proc) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// Interrupt cuts the running turn short. The agent ends the turn itself
// (its terminal event says interrupted); an agent that cannot be
// interrupted in band gets SIGINT.
func (m *Manager) Interrupt(_ context.Context, id string) error {
	l, _, err := m.ensureLive(id)
	if err != nil {
		return err
	}
	return do(m, l, func() error {
		if l.turn == "" || l.conn == nil {
			return fmt.Errorf("%w: session %s has no turn running", ErrConflict, id)
		}
		l.interrupting = true
		err := l.conn.Interrupt()
		switch {
		case errors.Is(err, agent.ErrSignalRequired):
			return l.proc.Signal(os.Interrupt)
		case errors.Is(err, agent.ErrNotReady):
			l.interrupting = false
			return fmt.Errorf("%w: the agent is still starting; interrupt again in a moment", ErrConflict)
		}
		return err
	})
}
