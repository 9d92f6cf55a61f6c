package supervise

import (
	"slices"
	"testing"
	"time"
)

func TestWatchdogCommands(t *testing.T) {
	st := watchState{groups: map[int]watchGroup{}, grace: DefaultDeathGrace}
	for _, line := range []string{"M CORRAL_SUPERVISOR=ab/", "G 750", "A 10 10 100", "A 20 20 200", "A 30 31 300", "R 20", "", "G -5", "bogus 1"} {
		if st.apply(line) {
			t.Fatalf("%q read as the goodbye", line)
		}
	}
	if st.marker != "CORRAL_SUPERVISOR=ab/" || st.grace != 750*time.Millisecond {
		t.Fatalf("marker %q grace %v", st.marker, st.grace)
	}
	if len(st.groups) != 2 || st.groups[30] != (watchGroup{31, 300}) {
		t.Fatalf("groups %v", st.groups)
	}
	if !st.apply("Q") {
		t.Fatal("Q is the goodbye")
	}
}

func TestWatchdogSignalsOnlyGroupsItRecorded(t *testing.T) {
	groups := map[int]watchGroup{10: {10, 100}, 20: {20, 200}, 30: {30, 300}}
	// 10 is alive as recorded, 20's leader is gone (members may remain),
	// 30's pid now names another process.
	startTime := func(pid int) (uint64, bool) {
		switch pid {
		case 10:
			return 100, true
		case 30:
			return 999, true
		}
		return 0, false
	}
	if got := groupsToEnd(groups, startTime); !slices.Equal(got, []int{10, 20}) {
		t.Fatalf("groups to end %v", got)
	}
	if got := stillAlive([]int{10, 20}, func(pgid int) bool { return pgid == 20 }); !slices.Equal(got, []int{20}) {
		t.Fatalf("still alive %v", got)
	}
}
