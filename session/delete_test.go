package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/supervise"
)

// blockDeletes is the store with DeleteSession held until the test
// releases it (as a slow commit holds it).
type blockDeletes struct {
	Recorder
	entered chan struct{}
	release chan struct{}
}

func (r *blockDeletes) DeleteSession(ctx context.Context, id string) error {
	close(r.entered)
	<-r.release
	return r.Recorder.DeleteSession(ctx, id)
}

// sessionProcs lists the session's processes that have not ended.
func sessionProcs(rt *Runtime, id string) []supervise.Info {
	var out []supervise.Info
	for _, in := range rt.Supervisor.List() {
		if in.Owner.ID == id && in.State != supervise.StateExited && in.State != supervise.StateFailed {
			out = append(out, in)
		}
	}
	return out
}

// Delete ends a session for good: a Send or Resume that comes while the
// store is still deleting it is refused and starts no agent, and nothing
// of the session is left afterwards.
func TestSendDuringDeleteStartsNothing(t *testing.T) {
	bd := &blockDeletes{entered: make(chan struct{}), release: make(chan struct{})}
	o := RuntimeOptions{MonitorInterval: -1}
	o.Manager.StopGrace = 2 * time.Second
	o.WrapRecorder = func(r Recorder) Recorder { bd.Recorder = r; return bd }
	rt, err := OpenRuntime(context.Background(), t.TempDir(), fakeConfig(t), o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRT(t, rt)
	ctx := context.Background()
	m := rt.Manager
	s, err := m.Create(ctx, CreateOptions{Agent: "fake", Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() { deleted <- m.Delete(ctx, s.ID) }()
	<-bd.entered

	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrConflict) {
			t.Errorf("%s while deleting: %v, want ErrNotFound or ErrConflict", what, err)
		}
	}
	run, err := m.Send(ctx, s.ID, "hello")
	refused("send (run "+run+")", err)
	_, err = m.Resume(ctx, s.ID)
	refused("resume", err)

	close(bd.release)
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	if _, err := m.Send(ctx, s.ID, "again"); !errors.Is(err, ErrNotFound) {
		t.Errorf("send after delete: %v, want ErrNotFound", err)
	}
	if _, ok := m.get(s.ID); ok {
		t.Error("the deleted session is still live")
	}
	if ps := sessionProcs(rt, s.ID); len(ps) > 0 {
		t.Errorf("processes of the deleted session still run: %+v", ps)
	}
}
