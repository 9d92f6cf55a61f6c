package supervise

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/proc"
)

// outputOf returns the bytes of every stdout/stderr event of id, in order,
// and the stream of each.
func outputOf(t *testing.T, evs []event.Event, id string) (lines [][]byte, streams []string) {
	t.Helper()
	for _, ev := range evs {
		if ev.ProcessID != id || ev.Kind != event.Stdout && ev.Kind != event.Stderr {
			continue
		}
		b, err := decodeOutput(ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, b)
		streams = append(streams, ev.Kind)
	}
	return lines, streams
}

func truncatedOf(t *testing.T, evs []event.Event, id string) []Truncated {
	t.Helper()
	var out []Truncated
	for _, ev := range evs {
		if ev.ProcessID == id && ev.Kind == event.OutputTruncated {
			var tr Truncated
			if err := json.Unmarshal(ev.Data, &tr); err != nil {
				t.Fatal(err)
			}
			out = append(out, tr)
		}
	}
	return out
}

// The helper floods 10-byte lines ("xxxxxxxxx" and a newline, counted as
// 10), so a cap of 1005 admits exactly 100 whole lines and the first five
// bytes of the next one.
func TestOutputCapStopsTheProcessOnce(t *testing.T) {
	tests := []struct {
		name        string
		stream      string // what the helper floods
		maxOut      int64
		maxStream   int64
		limit       string
		capped      string // the stream(s) whose forwarded output is capped: "" for both
		ignoresTerm bool
	}{
		{"total", "both", 1005, 0, LimitMaxOutput, "", false},
		{"stdout", "stdout", 1 << 20, 1005, LimitMaxStreamOutput + ":stdout", event.Stdout, false},
		{"stderr", "stderr", 0, 1005, LimitMaxStreamOutput + ":stderr", event.Stderr, false},
		{"both caps equal names the total", "stdout", 1005, 1005, LimitMaxOutput, event.Stdout, false},
		{"ignores SIGTERM", "stdout", 1005, 0, LimitMaxOutput, event.Stdout, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			s, rec, mark := newTestSupervisor(t, Config{Clock: clk})
			args := []string{tt.stream}
			if tt.ignoresTerm {
				args = append(args, "ignore-term")
			}
			const grace = 3 * time.Second
			p, err := s.Start(Spec{
				Spec: helper(mark, "flood-forever", args...), Ready: Readiness{Mode: ReadyOnStart},
				// A restart policy that would restart anything: the cap
				// must still end the process for good.
				Restart:   RestartPolicy{Mode: RestartAlways},
				MaxOutput: tt.maxOut, MaxStreamOutput: tt.maxStream, StopGrace: grace,
			})
			if err != nil {
				t.Fatal(err)
			}
			if tt.ignoresTerm {
				// SIGTERM is ignored: the child floods on until the grace
				// ends on the supervisor's clock.
				rec.waitFor(t, "stopping", stateIs(p.ID(), StateStopping))
				clk.waitTimer(t, grace)
				clk.Advance(grace)
			}
			r := p.Wait()
			if r.Reason != ReasonOutputLimit || r.Limit != tt.limit || r.State != StateExited || r.Attempts != 1 || r.Restarts != 0 {
				t.Fatalf("result %+v; want output-limit/%s after one attempt", r, tt.limit)
			}
			if tt.ignoresTerm && r.SignalName != "SIGKILL" {
				t.Errorf("signal %q, want SIGKILL after the grace", r.SignalName)
			}
			rec.waitFor(t, "run.exited", isKind(p.ID(), event.RunExited))
			s.Shutdown(t.Context())
			evs := rec.all()
			if n := count(evs, p.ID(), event.RunExited); n != 1 {
				t.Fatalf("%d run.exited events", n)
			}
			for _, ev := range evs {
				if stateIs(p.ID(), StateBackoff)(ev) {
					t.Fatalf("the process was restarted: %s", ev.Data)
				}
			}
			if last := evs[len(evs)-1]; last.Kind != event.RunExited {
				t.Fatalf("last event %s, want run.exited", last.Kind)
			}

			// Exactly the cap was forwarded: 100 whole lines, then the cut.
			lines, streams := outputOf(t, evs, p.ID())
			var counted int64
			for i, l := range lines {
				if tt.capped != "" && streams[i] != tt.capped {
					t.Fatalf("output on %s, only %s was flooded", streams[i], tt.capped)
				}
				want := "xxxxxxxxx"
				if i == len(lines)-1 {
					want = "xxxxx"
				}
				if string(l) != want {
					t.Fatalf("line %d of %d is %q, want %q", i, len(lines), l, want)
				}
				counted += int64(len(l)) + 1
			}
			if len(lines) != 101 || counted-1 != 1005 {
				t.Fatalf("%d lines, %d bytes forwarded; want 101 lines, 1005 bytes", len(lines), counted-1)
			}

			trs := truncatedOf(t, evs, p.ID())
			if len(trs) != 1 {
				t.Fatalf("%d output.truncated events, want 1: %+v", len(trs), trs)
			}
			tr := trs[0]
			if tr.Reason != "output limit" || tr.Limit != tt.limit || tr.Max != 1005 {
				t.Fatalf("output.truncated %+v", tr)
			}
			lost := tr.Stdout
			if tt.stream == "stderr" {
				lost = tr.Stderr
			}
			if tt.stream == "both" {
				lost = StreamCount{tr.Stdout.Lines + tr.Stderr.Lines, tr.Stdout.Bytes + tr.Stderr.Bytes}
			}
			// At least the five cut bytes and the newline of the cut line;
			// every lost line is 10 bytes but the cut one, which lost 5.
			if lost.Lines == 0 || lost.Bytes != 10*lost.Lines-5 {
				t.Fatalf("lost %+v: want n lines and 10n-5 bytes", lost)
			}
			if tt.stream == "stdout" && tr.Stderr != (StreamCount{}) || tt.stream == "stderr" && tr.Stdout != (StreamCount{}) {
				t.Fatalf("loss reported on a stream that was not flooded: %+v", tr)
			}
		})
	}
}

// The Tap sees the same capped output as events, byte for byte, in Chunks
// mode, where every byte counts.
func TestOutputCapCutsTheTapInChunksMode(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{})
	spec := helper(mark, "flood-forever", "stdout")
	spec.Output = proc.Chunks
	var tapped []byte
	p, err := s.Start(Spec{Spec: spec, Ready: Readiness{Mode: ReadyOnStart}, MaxOutput: 4321,
		Tap: func(o proc.Output) { tapped = append(tapped, o.Bytes...) }})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Wait()
	if r.Reason != ReasonOutputLimit || r.Limit != LimitMaxOutput {
		t.Fatalf("result %+v", r)
	}
	// Wait ordered every Tap call before it.
	if len(tapped) != 4321 {
		t.Fatalf("the tap got %d bytes, want 4321", len(tapped))
	}
	rec.waitFor(t, "run.exited", isKind(p.ID(), event.RunExited))
	lines, _ := outputOf(t, rec.all(), p.ID())
	var got []byte
	for _, l := range lines {
		got = append(got, l...)
	}
	if string(got) != string(tapped) {
		t.Fatalf("events carried %d bytes, the tap %d", len(got), len(tapped))
	}
	trs := truncatedOf(t, rec.all(), p.ID())
	if len(trs) != 1 || trs[0].Stdout.Bytes == 0 || trs[0].Stdout.Lines == 0 {
		t.Fatalf("output.truncated %+v", trs)
	}
}

// Output that stays within the caps, to the byte, is not cut and not
// reported: the cap is passed by the first byte beyond it.
func TestOutputCapExactFitIsNotALimit(t *testing.T) {
	s, rec, mark := newTestSupervisor(t, Config{})
	p, err := s.Start(Spec{Spec: helper(mark, "flood", "100"), Ready: Readiness{Mode: ReadyOnStart},
		// "line 0".."line 9" are 7 bytes with the newline, "line 10".."line 99" 8.
		MaxOutput: 10*7 + 90*8, MaxStreamOutput: 10*7 + 90*8})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Wait()
	if r.Reason != ReasonExit || r.Code != 0 || r.Limit != "" {
		t.Fatalf("result %+v", r)
	}
	rec.waitFor(t, "run.exited", isKind(p.ID(), event.RunExited))
	evs := rec.all()
	if lines, _ := outputOf(t, evs, p.ID()); len(lines) != 100 {
		t.Fatalf("%d lines, want 100", len(lines))
	}
	if trs := truncatedOf(t, evs, p.ID()); len(trs) != 0 {
		t.Fatalf("output.truncated %+v", trs)
	}
}

// The caps cover every start of a process, as the total timeout does: a
// restart does not grant a new budget. The second run passes the cap; it may
// also end by itself before the stop reaches it, and still ends for the cap,
// since its output was cut.
func TestOutputCapSpansRestarts(t *testing.T) {
	clk := newFakeClock()
	s, rec, mark := newTestSupervisor(t, Config{Clock: clk, Rand: func() float64 { return 0 }})
	// 100 lines of "line N" are 790 bytes with their newlines.
	p, err := s.Start(Spec{Spec: helper(mark, "flood", "100"), Ready: Readiness{Mode: ReadyOnStart},
		Restart: RestartPolicy{Mode: RestartAlways}, MaxOutput: 1000})
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "backoff", stateIs(p.ID(), StateBackoff))
	clk.waitTimer(t, DefaultBackoffInitial)
	clk.Advance(DefaultBackoffInitial)
	r := p.Wait()
	if r.Reason != ReasonOutputLimit || r.Limit != LimitMaxOutput || r.Attempts != 2 {
		t.Fatalf("result %+v; want output-limit on the second start", r)
	}
	rec.waitFor(t, "run.exited", isKind(p.ID(), event.RunExited))
	evs := rec.all()
	lines, _ := outputOf(t, evs, p.ID())
	var n int
	for _, l := range lines {
		n += len(l) + 1
	}
	// 790 from the first run, then "line 0".."line 9" (70) and "line 10"..
	// "line 26" (17 × 8) fill 996; "line 27" is cut after its first 4 bytes.
	if last := string(lines[len(lines)-1]); last != "line" || n-1 != 1000 || len(lines) != 100+10+17+1 {
		t.Fatalf("%d lines, %d bytes, last %q", len(lines), n-1, last)
	}
	trs := truncatedOf(t, evs, p.ID())
	if len(trs) != 1 || trs[0].Stdout.Lines == 0 || trs[0].Stdout.Bytes == 0 {
		t.Fatalf("output.truncated %+v", trs)
	}
	if c := count(evs, p.ID(), event.RunExited); c != 1 {
		t.Fatalf("%d run.exited", c)
	}
}
