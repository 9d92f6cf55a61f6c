package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

func rep(sid string, seq, prev int64) store.Replica {
	return store.Replica{Prev: prev, Event: event.Event{SessionID: sid, Seq: seq, Kind: event.Stdout,
		Time: time.Unix(0, seq), Data: []byte(`{"line":"x"}`)}}
}

func TestAppendReplicated(t *testing.T) {
	var c collector
	s := open(t, t.TempDir(), store.Options{Publish: c.publish})
	rec := &store.Session{ID: "s1", Agent: "claude", Cwd: "/w", Status: "processing", Title: "t"}
	first := rep("s1", 1, 0)
	first.Session = rec
	res, err := s.AppendReplicated(ctx, "r1", []store.Replica{
		first, rep("s1", 2, 1),
		rep("s1", 2, 1), // a duplicate in the same batch
		rep("s1", 4, 3), // early: 3 is missing and was published
		rep("s1", 1, 0), // an old duplicate
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ReplicaOutcome{store.ReplicaStored, store.ReplicaStored, store.ReplicaDuplicate, store.ReplicaEarly, store.ReplicaDuplicate}
	for i := range want {
		if res.Outcomes[i] != want[i] {
			t.Fatalf("outcomes %v, want %v", res.Outcomes, want)
		}
	}
	// 3 arrives, then 4 is offered again; then a gap the runner reports
	// by its Prev (its retention dropped 5..6).
	res, err = s.AppendReplicated(ctx, "r1", []store.Replica{rep("s1", 3, 2), rep("s1", 4, 3), rep("s1", 7, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Gaps) != 1 || res.Gaps[0] != (store.Gap{Session: "s1", From: 5, To: 6}) {
		t.Fatalf("gaps %+v", res.Gaps)
	}
	evs, err := s.Events("s1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, ev := range evs {
		seqs = append(seqs, ev.Seq)
	}
	if len(seqs) != 5 || seqs[0] != 1 || seqs[1] != 2 || seqs[2] != 3 || seqs[3] != 4 || seqs[4] != 7 {
		t.Fatalf("stored seqs %v, want [1 2 3 4 7]", seqs)
	}
	if pub := c.all(); len(pub) != 5 || pub[4].Seq != 7 || pub[4].Cursor != evs[4].Cursor {
		t.Fatalf("published %d events", len(pub))
	}
	// Local appends after the replica go on from the runner's seq (a hub
	// never appends to a runner's session, but the numbering stays sound).
	got, err := s.AppendWait(ctx, event.Event{SessionID: "s1", Kind: event.Stdout})
	if err != nil || got[0].Seq != 8 {
		t.Fatalf("next local seq %d, %v", got[0].Seq, err)
	}
	x, err := s.GetSession("s1")
	if err != nil || x.Runner != "r1" || x.Title != "t" || x.Status != "processing" {
		t.Fatalf("record %+v %v", x, err)
	}
	if r, err := s.SessionRunner("s1"); err != nil || r != "r1" {
		t.Fatalf("runner %q %v", r, err)
	}
	// Recover leaves a replica alone: the runner owns its status.
	recov, err := s.Recover(ctx)
	if err != nil || len(recov.InterruptedSessions) != 0 {
		t.Fatalf("recover touched a replica: %+v %v", recov, err)
	}
}

func TestDeleteReplicaDropsWhatIsStillOnItsWay(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	first := rep("s3", 1, 0)
	first.Session = &store.Session{ID: "s3", Agent: "claude", Status: "idle"}
	if _, err := s.AppendReplicated(ctx, "r1", []store.Replica{first, rep("s3", 2, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteReplica(ctx, "s3"); err != nil {
		t.Fatal(err)
	}
	late := rep("s3", 3, 2)
	late.Session = first.Session
	res, err := s.AppendReplicated(ctx, "r1", []store.Replica{late})
	if err != nil || res.Outcomes[0] != store.ReplicaDuplicate {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := s.GetSession("s3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the deleted replica came back: %v", err)
	}
	if st, _ := s.StreamStats("s3"); st.Events != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAppendReplicatedFirstEventAfterTrim(t *testing.T) {
	s := open(t, t.TempDir(), store.Options{})
	// The runner's retention had dropped 1..9 before they were published.
	res, err := s.AppendReplicated(ctx, "r1", []store.Replica{rep("s2", 10, 0), rep("s2", 11, 10)})
	if err != nil || len(res.Gaps) != 1 || res.Gaps[0].From != 1 || res.Gaps[0].To != 9 {
		t.Fatalf("%+v %v", res, err)
	}
	st, err := s.StreamStats("s2")
	if err != nil || st.Events != 2 {
		t.Fatalf("stats %+v %v", st, err)
	}
	evs, err := s.Events("s2", 0, 0)
	if err != nil || len(evs) != 2 || evs[0].Seq != 10 {
		t.Fatalf("events %+v %v", evs, err)
	}
}

func TestReplicaMarks(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, store.Options{})
	if err := s.SetReplicaMarks(ctx, 50, map[string]int64{"a": 5, "b": 7}); err != nil {
		t.Fatal(err)
	}
	// A mark never moves back.
	if err := s.SetReplicaMarks(ctx, 40, map[string]int64{"a": 3}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir, store.Options{})
	m, err := s.ReplicaMarks()
	if err != nil || m.Cursor != 50 || m.Seqs["a"] != 5 || m.Seqs["b"] != 7 {
		t.Fatalf("marks %+v %v", m, err)
	}
}

// Several runners' events in one call: one transaction, an outcome list
// per runner, each session's row marked with its own runner, and a bad
// group (no runner) stores nothing of the others.
func TestAppendReplicatedGroups(t *testing.T) {
	var c collector
	s := open(t, t.TempDir(), store.Options{Publish: c.publish})
	a, b := rep("a", 1, 0), rep("b", 1, 0)
	a.Session = &store.Session{ID: "a", Agent: "fake", Cwd: "/", Status: "idle"}
	b.Session = &store.Session{ID: "b", Agent: "fake", Cwd: "/", Status: "idle"}
	if _, err := s.AppendReplicatedGroups(ctx, []store.RunnerReplicas{
		{Runner: "r1", Replicas: []store.Replica{rep("c", 1, 0)}}, {Replicas: []store.Replica{rep("d", 1, 0)}},
	}); err == nil {
		t.Fatal("a group without a runner was taken")
	}
	if evs, _ := s.Events("c", 0, 0); len(evs) != 0 {
		t.Fatalf("the other group's event was stored: %d", len(evs))
	}
	res, err := s.AppendReplicatedGroups(ctx, []store.RunnerReplicas{
		{Runner: "r1", Replicas: []store.Replica{a, rep("a", 2, 1), rep("a", 2, 1)}},
		{Runner: "r2", Replicas: []store.Replica{b, rep("b", 3, 2)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || len(res[0].Outcomes) != 3 || res[0].Outcomes[2] != store.ReplicaDuplicate ||
		len(res[1].Outcomes) != 2 || res[1].Outcomes[1] != store.ReplicaEarly {
		t.Fatalf("results %+v", res)
	}
	for id, want := range map[string]string{"a": "r1", "b": "r2"} {
		if x, err := s.GetSession(id); err != nil || x.Runner != want {
			t.Fatalf("%s: runner %q %v, want %q", id, x.Runner, err, want)
		}
	}
	if pub := c.all(); len(pub) != 3 {
		t.Fatalf("published %d events, want 3", len(pub))
	}
}
