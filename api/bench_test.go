package api

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// BenchmarkCallListSessions measures one ListSessions call over HTTP
// (loopback, keep-alive) against a real store holding 50 sessions.
func BenchmarkCallListSessions(b *testing.B) {
	t := &testing.T{}
	e := startE2E(t, b.TempDir())
	defer e.close()
	now := time.Now()
	for i := 0; i < 50; i++ {
		if _, err := e.rt.Store.CreateSession(context.Background(), store.Session{ID: fmt.Sprintf("s-%02d", i), Agent: "fake",
			Cwd: "/tmp", Status: "idle", CreatedAt: now, UpdatedAt: now, LastActivity: now}); err != nil {
			b.Fatal(err)
		}
	}
	client := e.hs.Client()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.hs.URL+"/api/call/ListSessions", strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var buf [4096]byte
			for {
				if _, err := resp.Body.Read(buf[:]); err != nil {
					break
				}
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	})
}

// BenchmarkSSEDelivery measures the path store append → commit → bus →
// SSE frame → 10 clients: one op is one event appended and read by every
// client, one after the other, so ns/op is the end-to-end latency.
func BenchmarkSSEDelivery(b *testing.B) {
	t := &testing.T{}
	e := startE2E(t, b.TempDir())
	defer e.close()
	const clients = 10
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readers := make([]*bufio.Reader, clients)
	for i := range readers {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.hs.URL+"/api/events?session=bench", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		readers[i] = bufio.NewReader(resp.Body)
	}
	got := make(chan int, clients)
	next := make([]chan struct{}, clients)
	for i := range readers {
		next[i] = make(chan struct{}, 1)
		go func(i int) {
			for range next[i] {
				for {
					line, err := readers[i].ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "event: stdout") {
						break
					}
				}
				got <- i
			}
		}(i)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range next {
			next[i] <- struct{}{}
		}
		ev := event.New(event.Stdout, map[string]string{"text": "x"})
		ev.SessionID = "bench"
		if err := e.rt.Store.Append(ev); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < clients; i++ {
			<-got
		}
	}
	b.StopTimer()
	for i := range next {
		close(next[i])
	}
}
