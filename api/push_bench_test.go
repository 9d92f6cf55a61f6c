package api

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/push"
	"github.com/corral-dev/corral/push/pushtest"
	"github.com/corral-dev/corral/session"
)

// BenchmarkPushLatency: from a permission.request appended to the store
// (what a session does when its agent asks) to the push service receiving
// the encrypted message: store commit, bus, the push queue, RFC 8291
// encryption, the VAPID signature and the HTTP POST to a local endpoint.
// One push at a time; reports p50 and p99 over b.N (at least 50) pushes.
func BenchmarkPushLatency(b *testing.B) {
	cfg, err := config.Parse([]byte(""), "test.toml")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	rt, err := session.OpenRuntime(context.Background(), dir, cfg, session.RuntimeOptions{MonitorInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(context.Background())
	keys, err := push.LoadOrCreateKeys(dir)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := push.New(push.Options{Keys: keys, Store: rt.Store})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	if err := svc.Watch(context.Background(), rt.Bus); err != nil {
		b.Fatal(err)
	}
	ep := pushtest.NewEndpoint(keys.PublicKey)
	defer ep.Close()
	var sub push.Subscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = ep.URL(), ep.Browser.P256dh(), ep.Browser.Auth()
	if _, err := svc.Subscribe(context.Background(), "host", sub, nil); err != nil {
		b.Fatal(err)
	}
	n := max(b.N, 50)
	lat := make([]time.Duration, 0, n)
	b.ResetTimer()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("r%d", i)
		ev := event.New(event.PermissionRequest, map[string]any{"requestId": id, "tool": "Bash"})
		ev.SessionID = "bench"
		t0 := time.Now()
		if _, err := rt.Store.AppendWait(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
		select {
		case p := <-ep.Received:
			var m push.Message
			if p.Err != nil || json.Unmarshal(p.Payload, &m) != nil || m.RequestID != id {
				b.Fatalf("push %d: %v %s", i, p.Err, p.Payload)
			}
			lat = append(lat, p.At.Sub(t0))
		case <-time.After(time.Minute):
			b.Fatal("no push within a minute")
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(lat)), "pushes")
}
