package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// sseClientStats is one benchmark SSE client's view.
type sseClientStats struct {
	lat         []time.Duration
	delivered   int64
	dups        int64
	lastID      int64
	reconnected bool
	reconnectAt time.Time
	replayed    int64
	caughtUp    time.Duration
	// events counts every complete frame with data (deltas and the rest),
	// eventsFirst and eventsLast are when the first and last arrived.
	events                  int64
	eventsFirst, eventsLast time.Time
}

// read reads the event stream (resuming after lastID) until ctx ends or the
// stream breaks; ready, if not nil, is signalled once connected.
func (st *sseClientStats) read(ctx context.Context, srv *benchServer, ready chan<- struct{}, stderr io.Writer) {
	signal := func() {
		if ready != nil {
			ready <- struct{}{}
			ready = nil
		}
	}
	defer signal()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.url+"/api/events?since=0", nil)
	req.Header.Set("Authorization", "Bearer "+srv.token)
	if st.lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(st.lastID, 10))
	}
	resp, err := srv.hc.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintln(stderr, "client:", err)
		}
		return
	}
	defer resp.Body.Close()
	signal()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	marker := []byte(`"text":"t=`)
	// A frame counts once it is complete (its blank line), like an
	// EventSource dispatches it: a frame cut by a disconnect is resumed,
	// not lost, because Last-Event-ID is the last complete frame's id.
	var pendingID int64
	var pendingLat time.Duration
	var pendingAt time.Time
	havePending, pendingData := false, false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case len(line) == 1: // the blank line ending a frame
			if pendingID > 0 {
				// A frame with an id but no data is the server telling a
				// resuming client its resume point: the same id again, not
				// a repeated event.
				if pendingData && pendingID <= st.lastID {
					st.dups++
				}
				st.lastID = pendingID
			}
			if pendingData {
				st.countEvent()
			}
			if havePending {
				st.lat = append(st.lat, pendingLat)
				st.delivered++
				if st.reconnected && st.caughtUp == 0 {
					if pendingLat < 20*time.Millisecond {
						st.caughtUp = pendingAt.Sub(st.reconnectAt)
					} else {
						st.replayed++
					}
				}
			}
			pendingID, havePending, pendingData = 0, false, false
		case bytes.HasPrefix(line, []byte("id: ")):
			pendingID, _ = strconv.ParseInt(string(bytes.TrimSpace(line[4:])), 10, 64)
		case bytes.HasPrefix(line, []byte("data: ")):
			pendingData = true
			i := bytes.Index(line, marker)
			if i < 0 || !bytes.Contains(line, []byte(`"delta":true`)) {
				continue
			}
			now := time.Now()
			rest := line[i+len(marker):]
			j := bytes.IndexByte(rest, ';')
			if j < 0 {
				continue
			}
			t, err := strconv.ParseInt(string(rest[:j]), 10, 64)
			if err != nil {
				continue
			}
			pendingLat, pendingAt, havePending = time.Duration(now.UnixNano()-t), now, true
		}
	}
}

// countEvent counts one complete event frame.
func (st *sseClientStats) countEvent() {
	now := time.Now()
	if st.events == 0 {
		st.eventsFirst = now
	}
	st.events++
	st.eventsLast = now
}

// sseClients are the benchmark's SSE clients: every event of every
// session; the latency of each chatty delta is its receipt time minus the
// time the agent stamped into it just before writing the line. The last
// client (of more than one) drops its connection halfway through for a
// second and resumes with Last-Event-ID: it must still get every event
// exactly once.
type sseClients struct {
	stats  []*sseClientStats
	begin  chan struct{} // closed when the agents start: the halfway clock starts
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSSEClients connects n clients (each with room for capHint
// latencies) and returns once every one is connected; dur is the run's
// length, whose half is when the last client drops its stream.
func startSSEClients(ctx context.Context, srv *benchServer, n, capHint int, dur time.Duration, stderr io.Writer) *sseClients {
	sctx, cancel := context.WithCancel(ctx)
	cs := &sseClients{stats: make([]*sseClientStats, n), begin: make(chan struct{}), cancel: cancel}
	ready := make(chan struct{}, n)
	for c := 0; c < n; c++ {
		cs.stats[c] = &sseClientStats{lat: make([]time.Duration, 0, capHint)}
		cs.wg.Add(1)
		go func(c int) {
			defer cs.wg.Done()
			if c < n-1 || n == 1 {
				cs.stats[c].read(sctx, srv, ready, stderr)
				return
			}
			cs.reconnecting(sctx, srv, cs.stats[c], ready, dur, stderr)
		}(c)
	}
	for c := 0; c < n; c++ {
		<-ready
	}
	return cs
}

// reconnecting reads as st until dur/2 after begin, stays away a second,
// then resumes from its last event id.
func (cs *sseClients) reconnecting(ctx context.Context, srv *benchServer, st *sseClientStats, ready chan<- struct{}, dur time.Duration, stderr io.Writer) {
	first, cut := context.WithCancel(ctx)
	go func() {
		select {
		case <-cs.begin:
		case <-ctx.Done():
			return
		}
		select {
		case <-time.After(dur / 2):
		case <-ctx.Done():
		}
		cut()
	}()
	st.read(first, srv, ready, stderr)
	cut()
	if ctx.Err() != nil {
		return
	}
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return
	}
	st.reconnectAt = time.Now()
	st.reconnected = true
	st.read(ctx, srv, nil, stderr)
}

// stop disconnects every client and waits for them; it may be called
// again.
func (cs *sseClients) stop() {
	cs.cancel()
	cs.wg.Wait()
}
