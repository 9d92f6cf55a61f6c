package api

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connGuard bounds the connections that have not (yet) presented the
// token. Every accepted connection starts pending; the first request on it
// that passes the token check makes it trusted, and a trusted connection is
// never counted or closed here. When a new connection would make more than
// max pending, the oldest pending one is closed: a flood of connections
// that never authenticate (slow headers, trickling bodies, idle sockets)
// costs at most max file descriptors and their buffers, and the token
// holder's new connection is always accepted, because it is the newest.
type connGuard struct {
	max     int
	nofile  func() uint64 // the open-files limit now; 0: unknown
	mu      sync.Mutex
	pending *list.List                 // of net.Conn, oldest first
	elems   map[net.Conn]*list.Element // the pending ones
	evicted atomic.Int64
}

func newConnGuard(max int, nofile func() uint64) *connGuard {
	return &connGuard{max: max, nofile: nofile, pending: list.New(), elems: map[net.Conn]*list.Element{}}
}

// pendingCap is the decision of how many connections may stay pending:
// max, lowered to a quarter of the open-files limit when that is known
// (nofile > 0), so that a flood of them leaves three quarters of the
// descriptors to the store, the agents' pipes and the token holder. The
// quarter is never taken below 4.
func pendingCap(max int, nofile uint64) int {
	if nofile == 0 {
		return max
	}
	q := maxInt(int(min(nofile/4, 1<<30)), 4)
	if q < max {
		return q
	}
	return max
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// evictions is the decision of connState: how many of the oldest pending
// connections to close when there are pending of them and at most max may
// stay.
func evictions(pending, max int) int {
	if max <= 0 || pending <= max {
		return 0
	}
	return pending - max
}

// connState is the http.Server ConnState hook.
func (g *connGuard) connState(c net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		var victims []net.Conn
		g.mu.Lock()
		g.elems[c] = g.pending.PushBack(c)
		limit := pendingCap(g.max, g.nofile())
		for n := evictions(g.pending.Len(), limit); n > 0; n-- {
			e := g.pending.Front()
			v := e.Value.(net.Conn)
			g.pending.Remove(e)
			delete(g.elems, v)
			victims = append(victims, v)
		}
		g.mu.Unlock()
		for _, v := range victims {
			g.evicted.Add(1)
			v.Close()
		}
	case http.StateClosed, http.StateHijacked:
		g.forget(c)
	}
}

// trust takes c off the pending list for good.
func (g *connGuard) trust(c net.Conn) { g.forget(c) }

func (g *connGuard) forget(c net.Conn) {
	g.mu.Lock()
	if e, ok := g.elems[c]; ok {
		g.pending.Remove(e)
		delete(g.elems, c)
	}
	g.mu.Unlock()
}

// Pending returns how many connections are counted as not authenticated.
func (g *connGuard) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pending.Len()
}

type connKey struct{}

// connOf returns the connection a request arrived on (set by ConnContext).
func connOf(ctx context.Context) net.Conn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	return c
}

// Configure sets on hs what the transport needs from the HTTP server:
//
//   - ReadHeaderTimeout (10 s) and MaxHeaderBytes (64 KiB) bound what a
//     client may cost before the token is checked;
//   - IdleTimeout (2 min) closes kept-alive connections nobody uses;
//   - the ConnState and ConnContext hooks of the pending-connection cap
//     (ServerOptions.MaxPendingConns, at most a quarter of the open-files
//     limit in force when a connection arrives).
//
// Fields hs already sets (non-zero) are kept, except the two hooks, which
// are wrapped: hs's own ConnState still runs.
func (s *Server) Configure(hs *http.Server) {
	if hs.ReadHeaderTimeout == 0 {
		hs.ReadHeaderTimeout = 10 * time.Second
	}
	if hs.MaxHeaderBytes == 0 {
		hs.MaxHeaderBytes = 64 << 10
	}
	if hs.IdleTimeout == 0 {
		hs.IdleTimeout = 2 * time.Minute
	}
	prevState, prevCtx := hs.ConnState, hs.ConnContext
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		s.guard.connState(c, st)
		if prevState != nil {
			prevState(c, st)
		}
	}
	hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prevCtx != nil {
			ctx = prevCtx(ctx, c)
		}
		return context.WithValue(ctx, connKey{}, c)
	}
}

// PendingConns returns how many open connections have not presented the
// token, and how many were closed because there were too many of them.
func (s *Server) PendingConns() (pending int, evicted int64) {
	return s.guard.Pending(), s.guard.evicted.Load()
}
