package store_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// TestReadsMatchTheLogAcrossBlocks appends events of several streams in
// random interleavings and batch sizes, some larger than a block, under
// retention caps that trim inside blocks, and checks every read (Events,
// EventsBefore, EventsAfter for one stream and for all) against the events
// the store published, before and after reopening.
func TestReadsMatchTheLogAcrossBlocks(t *testing.T) {
	dir := t.TempDir()
	var c collector
	o := store.Options{Publish: c.publish, MaxEventsPerSession: 400, MaxBytesPerSession: 60_000}
	s := open(t, dir, o)
	r := rand.New(rand.NewPCG(11, 12))
	streams := []string{"", "s-1", "s-2", "s-3"}
	for round := 0; round < 60; round++ {
		var batch []event.Event
		for k := r.IntN(150); k >= 0; k-- {
			e := event.Event{SessionID: streams[r.IntN(len(streams))], Kind: event.Stdout, RunID: "r"}
			if r.IntN(4) > 0 {
				e.Data = json.RawMessage(`{"n":` + string(rune('0'+r.IntN(10))) + `}`)
			}
			if r.IntN(3) > 0 {
				e.Raw = json.RawMessage(`"` + string(bytes.Repeat([]byte("r"), r.IntN(400))) + `"`)
			}
			if r.IntN(40) == 0 {
				e.Raw = json.RawMessage(`"` + string(bytes.Repeat([]byte("R"), 70_000)) + `"`)
			}
			// Runs of one stream, as an agent's output arrives.
			for n := r.IntN(80); n >= 0 && k >= 0; n, k = n-1, k-1 {
				batch = append(batch, e)
			}
		}
		var err error
		if round%2 == 0 {
			err = s.Append(batch...)
		} else {
			_, err = s.AppendWait(ctx, batch...)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	// The model: what was published, less what retention removed.
	model := map[string][]event.Event{}
	var all []event.Event
	for _, e := range c.all() {
		st, err := s.StreamStats(e.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq < st.FirstSeq {
			continue
		}
		if e.Seq < st.RawFrom {
			e.Raw = nil
		}
		model[e.SessionID] = append(model[e.SessionID], e)
		all = append(all, e)
	}
	trimmed := false
	for _, id := range streams {
		st, _ := s.StreamStats(id)
		if int64(len(model[id])) != st.Events {
			t.Fatalf("stream %q: model has %d events, stats say %d", id, len(model[id]), st.Events)
		}
		trimmed = trimmed || st.FirstSeq > 1
	}
	if !trimmed {
		t.Fatal("retention never deleted events: the test does not exercise partial blocks")
	}

	check := func(s *store.Store) {
		t.Helper()
		same := func(what string, got, want []event.Event) {
			t.Helper()
			if len(got) == 0 && len(want) == 0 {
				return
			}
			for i := range got {
				if i < len(want) && got[i].Time.Equal(want[i].Time) {
					got[i].Time = want[i].Time
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: got %d events %v, want %d %v", what, len(got), seqs(got), len(want), seqs(want))
			}
		}
		for _, id := range streams {
			m := model[id]
			for i := 0; i < 40; i++ {
				limit := 1 + r.IntN(300)
				k := r.IntN(len(m) + 1)
				since := int64(0)
				if k > 0 {
					since = m[k-1].Seq
				}
				got, err := s.Events(id, since, limit)
				if err != nil {
					t.Fatal(err)
				}
				same("Events", got, m[k:min(len(m), k+limit)])

				before := int64(0)
				end := len(m)
				if k < len(m) {
					before, end = m[k].Seq, k
				}
				got, err = s.EventsBefore(id, before, limit)
				if err != nil {
					t.Fatal(err)
				}
				same("EventsBefore", got, m[max(0, end-limit):end])

				cursor := int64(0)
				if k > 0 {
					cursor = m[k-1].Cursor + int64(r.IntN(3)) // may fall between this stream's events
				}
				var want []event.Event
				for _, e := range m {
					if e.Cursor > cursor && len(want) < limit {
						want = append(want, e)
					}
				}
				got, err = s.EventsAfter(ctx, cursor, id, false, limit)
				if err != nil {
					t.Fatal(err)
				}
				same("EventsAfter(one)", got, want)
			}
		}
		for i := 0; i < 60; i++ {
			limit := 1 + r.IntN(500)
			k := r.IntN(len(all) + 1)
			cursor := int64(0)
			if k > 0 {
				cursor = all[k-1].Cursor
			}
			got, err := s.EventsAfter(ctx, cursor, "", true, limit)
			if err != nil {
				t.Fatal(err)
			}
			same("EventsAfter(all)", got, all[k:min(len(all), k+limit)])
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(open(t, dir, o))
}

func seqs(evs []event.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}
