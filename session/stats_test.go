package session

import (
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
)

// A sample the monitor took before a process ended but that arrives after
// its end (the sampler and the exit race) leaves the series ended; a
// sample after the end means the id runs again.
func TestLateSampleKeepsSeriesEnded(t *testing.T) {
	var st statsRing
	base := time.Unix(1_800_000_000, 0)
	sample := func(at time.Duration) {
		ev := event.New(event.ProcessStats, map[string]any{"rss": 1})
		ev.ProcessID, ev.SessionID, ev.Time = "p-1", "s-1", base.Add(at)
		st.record(ev)
	}
	sample(time.Second)
	st.end("p-1", base.Add(3*time.Second))
	sample(2 * time.Second) // taken before the end, delivered after it
	sample(3 * time.Second) // at the end itself
	got := st.get("p-1", "", time.Time{})
	if len(got) != 1 || !got[0].Ended {
		t.Fatalf("a late sample un-ended the series: %+v", got)
	}
	if n := len(got[0].Samples); n != 1 {
		t.Errorf("%d samples kept, want the 1 taken while it ran", n)
	}
	sample(4 * time.Second) // the id runs again
	if got := st.get("p-1", "", time.Time{}); got[0].Ended || len(got[0].Samples) != 2 {
		t.Fatalf("a sample after the end did not restart the series: %+v", got)
	}
}
