package session

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"
)

// Queries read the live state a session's actor published; they never
// wait for the actor, so a session busy with a long message (a slow store,
// a stuck stdin write) does not hold up the list every client polls.
func TestListDoesNotWaitForABusyActor(t *testing.T) {
	rt, info, w := fakeSession(t)
	ctx, m := context.Background(), rt.Manager
	run, err := m.Send(ctx, info.ID, "slow:100000")
	if err != nil {
		t.Fatal(err)
	}
	// A command that returns, Send, is seen by the next read.
	if got, err := m.Get(ctx, info.ID); err != nil || got.Status != Processing || got.RunID != run {
		t.Fatalf("after Send: %+v, %v", got, err)
	}
	l, ok := m.get(info.ID)
	if !ok {
		t.Fatal("no live session")
	}
	block, entered := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(block) }) }
	defer unblock()
	go func() { _ = do(m, l, func() error { close(entered); <-block; return nil }) }()
	<-entered

	listed := make(chan []Info, 1)
	go func() {
		l, err := m.List(ctx)
		if err != nil {
			t.Error(err)
		}
		listed <- l
	}()
	select {
	case got := <-listed:
		if len(got) != 1 || got[0].Status != Processing || got[0].RunID != run || got[0].Process == nil {
			t.Fatalf("list while the actor is busy: %+v", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("List waited for the session's busy actor")
	}
	unblock()
	if err := m.Interrupt(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	w.until(status(Interrupted))
	if got, err := m.Get(ctx, info.ID); err != nil || got.Status != Interrupted || got.RunID != "" {
		t.Fatalf("after the interrupt: %+v, %v", got, err)
	}
}

// ListJSON re-encodes the list only when it changed.
func TestListJSONReusesTheEncodingWhileUnchanged(t *testing.T) {
	rt, info, _ := fakeSession(t)
	ctx, m := context.Background(), rt.Manager
	_, a, err := m.ListJSON(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := m.ListJSON(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if &a[0] != &b[0] {
		t.Error("an unchanged list was encoded again")
	}
	if _, err := rt.Store.RenameSession(ctx, info.ID, "renamed"); err != nil {
		t.Fatal(err)
	}
	l, c, err := m.ListJSON(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l[0].Title != "renamed" || string(c) == string(a) {
		t.Fatalf("after a rename: %+v %s", l, c)
	}
}

func TestSameInfo(t *testing.T) {
	at := time.Unix(100, 0)
	base := Info{ID: "s", Status: Idle, LastActivity: at, Process: &LiveProcess{ID: "p", RSS: 1}}
	cases := []struct {
		name string
		b    func(Info) Info
		same bool
	}{
		{"identical copy", func(i Info) Info { p := *i.Process; i.Process = &p; return i }, true},
		{"status", func(i Info) Info { i.Status = Processing; return i }, false},
		{"activity", func(i Info) Info { i.LastActivity = at.Add(time.Millisecond); return i }, false},
		{"process memory", func(i Info) Info { p := *i.Process; p.RSS = 2; i.Process = &p; return i }, false},
		{"process gone", func(i Info) Info { i.Process = nil; return i }, false},
		{"imported", func(i Info) Info { i.Imported = &Imported{Agent: "claude"}; return i }, false},
		{"workspace added", func(i Info) Info { i.Workspace = &WorkspaceInfo{Branch: "b"}; return i }, false},
	}
	for _, c := range cases {
		if got := sameInfo(base, c.b(base)); got != c.same {
			t.Errorf("%s: sameInfo = %v", c.name, got)
		}
	}
	ws := base
	ws.Workspace = &WorkspaceInfo{Branch: "b", Changes: ChangeCounts{Files: 1}}
	ws2 := ws
	ws2.Workspace = &WorkspaceInfo{Branch: "b", Changes: ChangeCounts{Files: 1}}
	if !sameInfo(ws, ws2) {
		t.Error("equal workspaces in different allocations")
	}
	ws2.Workspace = &WorkspaceInfo{Branch: "b", Changes: ChangeCounts{Files: 2}}
	if sameInfo(ws, ws2) {
		t.Error("workspace change counts")
	}
	if !sameInfos(nil, []Info{}) || sameInfos([]Info{base}, nil) {
		t.Error("sameInfos of lengths")
	}
}

func TestListReusable(t *testing.T) {
	at := time.Unix(100, 0)
	c := &encodedList{recGen: 3, views: 7, at: at}
	cases := []struct {
		name  string
		c     *encodedList
		known bool
		rec   int64
		views uint64
		now   time.Time
		want  bool
	}{
		{"unchanged, fresh", c, true, 3, 7, at.Add(listReuse - time.Millisecond), true},
		{"no list yet", nil, true, 3, 7, at, false},
		{"recorder without generations", c, false, 3, 7, at, false},
		{"a record write", c, true, 4, 7, at, false},
		{"a live state change", c, true, 3, 8, at, false},
		{"too old", c, true, 3, 7, at.Add(listReuse), false},
		{"clock went back", c, true, 3, 7, at.Add(-time.Millisecond), false},
	}
	for _, tc := range cases {
		if got := reusable(tc.c, tc.known, tc.rec, tc.views, tc.now); got != tc.want {
			t.Errorf("%s: reusable = %v", tc.name, got)
		}
	}
}

// Every pointer field of Info is compared by what it points to: a field
// added without a case in sameInfo would make every list look changed (or,
// worse, a change look like none).
func TestSameInfoSeesEveryPointerField(t *testing.T) {
	typ := reflect.TypeFor[Info]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() != reflect.Pointer {
			continue
		}
		a, b := Info{ID: "s"}, Info{ID: "s"}
		reflect.ValueOf(&a).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
		reflect.ValueOf(&b).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
		if !sameInfo(a, b) {
			t.Errorf("%s: equal values in two allocations differ", f.Name)
		}
		if sameInfo(a, Info{ID: "s"}) {
			t.Errorf("%s: set and unset are the same", f.Name)
		}
	}
}
