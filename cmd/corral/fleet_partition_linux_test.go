package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/internal/proctest"
)

// netns is a network namespace joined to this one by a veth pair: the
// namespace holds loopback and Peer, this side Host; nothing else.
type netns struct {
	name, hostIf, host, peer string
}

// ipRun runs ip with args, failing the test on error.
func ipRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v %s", args, err, out)
	}
}

// newNetns creates the namespace and the veth pair (removed with the
// test), on a random 10.x.y.0/30 so that concurrent runs do not meet.
func newNetns(t *testing.T) *netns {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	id := hex.EncodeToString(b)
	n := &netns{name: "corral-" + id, hostIf: "cvh" + id,
		host: fmt.Sprintf("10.%d.%d.1", 200+int(b[0])%50, b[1]), peer: fmt.Sprintf("10.%d.%d.2", 200+int(b[0])%50, b[1])}
	peerIf := "cvr" + id
	ipRun(t, "netns", "add", n.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.name).Run() })
	ipRun(t, "link", "add", n.hostIf, "type", "veth", "peer", "name", peerIf)
	t.Cleanup(func() { exec.Command("ip", "link", "del", n.hostIf).Run() })
	ipRun(t, "link", "set", peerIf, "netns", n.name)
	ipRun(t, "addr", "add", n.host+"/30", "dev", n.hostIf)
	ipRun(t, "link", "set", n.hostIf, "up")
	ipRun(t, "netns", "exec", n.name, "ip", "addr", "add", n.peer+"/30", "dev", peerIf)
	ipRun(t, "netns", "exec", n.name, "ip", "link", "set", peerIf, "up")
	ipRun(t, "netns", "exec", n.name, "ip", "link", "set", "lo", "up")
	return n
}

// startRunnerIn is startRunner inside the namespace.
func startRunnerIn(t *testing.T, ns *netns, home, hubURL, creds, cfg string) *fleetRunner {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := &fleetRunner{errb: &bytes.Buffer{}, done: make(chan error, 1)}
	r.cmd = corral(t, "runner", "--hub", hubURL, "--creds", creds, "--data", filepath.Join(home, "data"), "--config", cfg, "--heartbeat", "200ms")
	r.cmd.Path, _ = exec.LookPath("ip")
	r.cmd.Args = append([]string{"ip", "netns", "exec", ns.name, exe}, r.cmd.Args[1:]...)
	r.cmd.Env = append(r.cmd.Env, "HOME="+home)
	r.cmd.Stderr = r.errb
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill() })
	go func() { r.done <- r.cmd.Wait() }()
	return r
}

// TestFleetRunnerPartitioned cuts a runner off the hub for 30 s (its
// namespace's link down) while one of its sessions streams: the hub marks
// it lost and the session disconnected; once the link is back the stream
// resumes and a client reading the session from the hub sees the runner's
// whole log once: 0 lost, 0 gaps, 0 duplicates.
func TestFleetRunnerPartitioned(t *testing.T) {
	// Creating namespaces and links takes root and iproute2; scripts/test.sh
	// has both and sets proctest.RequireNetnsEnv, so there the test runs or
	// fails. Elsewhere (go test as a user) it says what it needs.
	if os.Geteuid() != 0 {
		proctest.SkipUnlessRequired(t, proctest.RequireNetnsEnv, "the partition needs a network namespace and a veth pair: run as root (ip netns, ip link)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		proctest.SkipUnlessRequired(t, proctest.RequireNetnsEnv, "no ip command: install iproute2")
	}
	ns := newNetns(t)
	p := startFleetPair(t, "--fleet-addr", ns.host+":4222")
	r := startRunnerIn(t, ns, p.runHome, p.hubURL, p.creds, p.runCfg)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("runner: %.4000s", r.errb.String())
		}
	})
	sp := p.hub
	sp.awaitRunner("box", "online from the namespace", func(x *runnerRow) bool {
		return x != nil && x.Status == "online" && slices.Contains(x.Agents, "fake")
	})
	var sess struct{ ID string }
	sp.mustCall("CreateSession", fmt.Sprintf(`{"agent":"fake","cwd":%q,"runner":"box"}`, p.runHome), &sess)
	evs := sp.hubEvents(sess.ID)
	var sent struct{ RunID string }
	// 200 lines a second for 45 s: the partition falls in the middle.
	sp.mustCall("SendMessage", fmt.Sprintf(`{"sessionId":%q,"text":"chatty:200:45"}`, sess.ID), &sent)
	seen := map[int64]int{}
	var n int
	for _, ev := range awaitEvent(t, evs, "500 events", func(event.Event) bool { n++; return n >= 500 }) {
		seen[ev.Seq]++
	}
	ipRun(t, "link", "set", ns.hostIf, "down")
	cut := time.Now()
	sp.awaitRunner("box", "lost while partitioned", statusIs("lost"))
	sp.awaitStatuses("partitioned", map[string]string{sess.ID: "disconnected"})
	time.Sleep(30*time.Second - time.Since(cut))
	ipRun(t, "link", "set", ns.hostIf, "up")
	t.Logf("partitioned for %v", time.Since(cut).Round(time.Millisecond))
	sp.awaitRunner("box", "online after the partition", statusIs("online"))
	awaitEvent(t, evs, "the turn's end", func(ev event.Event) bool {
		seen[ev.Seq]++
		return ev.Kind == event.RunExited && ev.RunID == sent.RunID
	})
	sp.awaitStatuses("after the partition", map[string]string{sess.ID: "idle"})
	var info struct{ EventCount int64 }
	sp.mustCall("GetSession", fmt.Sprintf(`{"sessionId":%q}`, sess.ID), &info)
	readSeqs(t, evs, seen, func() int64 { return info.EventCount })
	var lost, dups int
	for seq := int64(1); seq <= info.EventCount; seq++ {
		if c := seen[seq]; c == 0 {
			lost++
		} else if c > 1 {
			dups += c - 1
		}
	}
	t.Logf("runner log %d events; the hub's client: %d lost, %d duplicates", info.EventCount, lost, dups)
	if lost != 0 || dups != 0 || len(seen) != int(info.EventCount) {
		t.Fatalf("%d lost, %d duplicates, %d seqs seen, runner log %d", lost, dups, len(seen), info.EventCount)
	}
	r.stop(t)
	sp.stop()
}
