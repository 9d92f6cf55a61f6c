package sessioncontract

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/clitest"
	"github.com/corral-dev/corral/internal/mockllm"
	"github.com/corral-dev/corral/session"
)

// BenchmarkFirstText measures what corral adds to the time from
// SendMessage to the first assistant.text event a subscriber receives,
// against the CLI's own time to the line carrying that text, in the same
// turn:
//
//	t0     SendMessage called
//	tSent  SendMessage returned: the turn is on the agent's stdin (for a
//	       per-turn agent, its process has been started)
//	tLine  the CLI's line was read and decoded (the event's Time, stamped
//	       by the adapter on corral's reading goroutine)
//	tRecv  the event arrived on a bus subscription (after the store's
//	       commit)
//
// The CLI's own time is tLine−tSent; corral's is (tSent−t0)+(tRecv−tLine):
// the work of SendMessage (records, run.started, status) plus decode,
// store commit and bus delivery. tSent is taken after the stdin write, so
// the CLI's time is slightly understated and corral's overstated.
// Reported per turn: overhead-ms (mean), overhead-p50-ms, overhead-p90-ms,
// overhead-max-ms, send-ms and deliver-ms (its two parts), cli-ms (mean)
// and e2e-ms.
func BenchmarkFirstText(b *testing.B) {
	for _, cli := range []clitest.CLI{clitest.Claude, clitest.Codex, clitest.Gemini} {
		b.Run(cli.Name, func(b *testing.B) { benchFirstText(b, cli) })
	}
}

func benchFirstText(b *testing.B, cli clitest.CLI) {
	r := newRig(b, cli, mockllm.Text("the first words of a reply and then some more"))
	s := r.create("")
	w := r.watch(s.ID)
	// A first turn starts the agent and warms its caches; it is not timed.
	r.quiesce(w, r.send(s.ID, "warm up"))

	var overhead, send, deliver, cliT, e2e []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		run, err := r.mgr().Send(r.ctx, s.ID, "hello")
		tSent := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		evs := w.until("the first text", func(ev event.Event) bool { return ev.Kind == event.AssistantText && ev.RunID == run })
		tRecv := time.Now()
		tLine := evs[len(evs)-1].Time
		b.StopTimer()
		send = append(send, tSent.Sub(t0))
		deliver = append(deliver, tRecv.Sub(tLine))
		cliT = append(cliT, tLine.Sub(tSent))
		overhead = append(overhead, tSent.Sub(t0)+tRecv.Sub(tLine))
		e2e = append(e2e, tRecv.Sub(t0))
		r.quiesce(w, run)
		b.StartTimer()
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(mean(overhead)), "overhead-ms")
	b.ReportMetric(ms(quantile(overhead, 0.5)), "overhead-p50-ms")
	b.ReportMetric(ms(quantile(overhead, 0.9)), "overhead-p90-ms")
	b.ReportMetric(ms(quantile(overhead, 1)), "overhead-max-ms")
	b.ReportMetric(ms(mean(send)), "send-ms")
	b.ReportMetric(ms(mean(deliver)), "deliver-ms")
	b.ReportMetric(ms(mean(cliT)), "cli-ms")
	b.ReportMetric(ms(mean(e2e)), "e2e-ms")
	b.ReportMetric(0, "ns/op") // a turn's wall time says nothing here
	r.checkLog(s.ID)
}

// quiesce waits for the end of run, the session's idle status and, for a
// per-turn agent, the exit of the turn's process, so that the next
// SendMessage does not wait for it.
func (r *rig) quiesce(w *watcher, run string) {
	r.t.Helper()
	ended, idle, exited := false, false, r.cli.Name != "gemini"
	w.until("the turn, the status and the process to end", func(ev event.Event) bool {
		switch {
		case ev.Kind == event.RunExited && ev.RunID == run:
			ended = true
		case ev.Kind == event.RunExited && strings.HasPrefix(ev.RunID, "p-"):
			exited = true
		case statusIs(session.Idle)(ev):
			idle = true
		}
		return ended && idle && exited
	})
}

func mean(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}
