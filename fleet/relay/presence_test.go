package relay

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/fleet"
)

// TestPresence: a lost runner's session is disconnected on the hub; when
// the runner is seen online before it answers (a hub that restarted),
// the reconciliation is retried until it does, and the session gets the
// runner's status back. Close leaves nothing running (goleak, TestMain).
func TestPresence(t *testing.T) {
	ns := startNATS(t)
	runner, hub := openRuntime(t), openSide(t)
	log := &logSink{}
	defer func() {
		if t.Failed() {
			log.dump(t)
		}
	}()
	js, err := jetstream.New(ns.connect(t))
	if err != nil {
		t.Fatal(err)
	}
	cons := startHub(t, js, hub, log.logf)
	defer cons.Close()
	rnc := ns.connect(t)
	pub, err := StartPublisher(PublisherOptions{Name: "r1", Store: runner.Store, Conn: rnc, Bus: runner.Bus, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	facade := api.New(runner.Manager, nil)
	info, err := facade.CreateSession(context.Background(), api.CreateSessionParams{Agent: "fake", Cwd: t.TempDir(), Isolation: "none"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { r, err := hub.st.SessionRunner(info.ID); return err == nil && r == "r1" })

	pr := NewPresence(hub.st, log.logf)
	pr.Start(NewClient(ns.connect(t), 2*time.Second))
	defer pr.Close()
	status := func() string {
		x, err := hub.st.GetSession(info.ID)
		if err != nil {
			t.Fatal(err)
		}
		return x.Status
	}
	pr.OnChange(fleet.Change{Name: "r1", From: fleet.StatusOnline, To: fleet.StatusLost})
	waitFor(t, func() bool { return status() == "disconnected" })

	// Online, but nothing answers for r1 yet.
	pr.OnChange(fleet.Change{Name: "r1", From: fleet.StatusLost, To: fleet.StatusOnline})
	time.Sleep(100 * time.Millisecond)
	if s := status(); s != "disconnected" {
		t.Fatalf("status %q before the runner answers", s)
	}
	srv, err := ServeRPC(rnc, "r1", facade, RPCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	waitFor(t, func() bool { return status() == string(info.Status) })
}
