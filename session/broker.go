package session

import (
	"fmt"
	"sort"
	"time"

	"github.com/corral-dev/corral/store"
)

// broker is the permission broker of one session: the requests the agent
// asked and nobody decided yet, each with its deadline. It is plain data
// (no timers, no store, no clock of its own): the caller passes the time
// and arms one timer per request (the injected clock's AfterFunc), and on
// its firing asks expire; due finds what a clock says is overdue.
//
// The rules: a request is pending from the moment the agent asks until the
// first of (an answer, the agent withdrawing it, its deadline, the end of
// its turn); the first decision wins, a later one finds it gone. timeout <=
// 0 means requests never expire.
type broker struct {
	timeout time.Duration
	pending map[string]pendingReq // by the agent's request id
}

// pendingReq is one undecided request.
type pendingReq struct {
	// StoreID is the request's id in the store: session id + "/" + the
	// agent's request id (agents number their requests per process).
	StoreID string
	RunID   string
	// Expires is the deadline; zero when requests never expire.
	Expires time.Time
}

func newBroker(timeout time.Duration) broker {
	return broker{timeout: timeout, pending: map[string]pendingReq{}}
}

// ask registers request rid of the running turn runID at now and returns
// its record for the store (persisted before it is announced, so that an
// answer can never find it missing).
func (b *broker) ask(sessionID, runID, rid, tool string, input []byte, now time.Time) store.PermissionRequest {
	p := pendingReq{StoreID: sessionID + "/" + rid, RunID: runID}
	if b.timeout > 0 {
		p.Expires = now.Add(b.timeout)
	}
	if b.pending == nil {
		b.pending = map[string]pendingReq{}
	}
	b.pending[rid] = p
	return store.PermissionRequest{ID: p.StoreID, SessionID: sessionID, RunID: runID, Tool: tool, Input: input,
		CreatedAt: now, ExpiresAt: p.Expires}
}

// take removes rid and returns it; ok is false when it is not pending
// (decided, withdrawn, expired, or never asked).
func (b *broker) take(rid string) (pendingReq, bool) {
	p, ok := b.pending[rid]
	if ok {
		delete(b.pending, rid)
	}
	return p, ok
}

// expire is the decision for rid's deadline (its timer fired): the
// request is taken with the store decision of an expiry when it is still
// pending; a decided one changes nothing.
func (b *broker) expire(rid string) (pendingReq, store.Decision, bool) {
	p, ok := b.take(rid)
	if !ok {
		return pendingReq{}, store.Decision{}, false
	}
	return p, store.Decision{Decision: store.PermissionExpired, By: "corral",
		Message: fmt.Sprintf("no answer within %v", b.timeout)}, true
}

// due returns the ids of the requests whose deadline is at or before now,
// in order of deadline.
func (b *broker) due(now time.Time) []string {
	var out []string
	for rid, p := range b.pending {
		if !p.Expires.IsZero() && !now.Before(p.Expires) {
			out = append(out, rid)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, c := b.pending[out[i]].Expires, b.pending[out[j]].Expires
		return a.Before(c) || (a.Equal(c) && out[i] < out[j])
	})
	return out
}

// drained is one request drain removed.
type drained struct {
	RID string
	pendingReq
}

// drain removes every pending request (the turn ended, the session is
// deleted) and returns them in order of request id.
func (b *broker) drain() []drained {
	out := make([]drained, 0, len(b.pending))
	for rid, p := range b.pending {
		out = append(out, drained{RID: rid, pendingReq: p})
	}
	clear(b.pending)
	sort.Slice(out, func(i, j int) bool { return out[i].RID < out[j].RID })
	return out
}

// len is the number of pending requests.
func (b *broker) len() int { return len(b.pending) }
