package fleet

import (
	"sort"
	"sync"
	"time"
)

// A Heartbeat is what a runner publishes on corral.fleet.NAME.hb every few
// seconds, and what the hub keeps in the KV bucket corral_runners.
type Heartbeat struct {
	Name     string            `json:"name"`
	Version  string            `json:"version"`
	Agents   []string          `json:"agents"`           // the agents the runner can start (status ok)
	Labels   map[string]string `json:"labels,omitempty"` // free-form, from the runner's --label flags
	Capacity int               `json:"capacity"`         // sessions it takes at most (0: no limit)
	Sessions int               `json:"sessions"`         // sessions it runs now
	CPU      float64           `json:"cpu"`              // the runner process's CPU use over the last interval, in percent of one core
	RSS      int64             `json:"rss"`              // the runner process's resident memory, in bytes
	Load     float64           `json:"load"`             // the machine's one-minute load average (0 where unknown)
	At       time.Time         `json:"at"`               // the runner's clock when it sent this
}

// Status is a runner's state in the registry.
type Status string

const (
	StatusOnline Status = "online" // its last heartbeat is within the timeout
	StatusLost   Status = "lost"   // no heartbeat for longer than the timeout
)

// StatusAt decides a runner's status: lost when more than timeout has
// passed since lastSeen (the hub's time of its last heartbeat) at now,
// online otherwise.
func StatusAt(lastSeen, now time.Time, timeout time.Duration) Status {
	if now.Sub(lastSeen) > timeout {
		return StatusLost
	}
	return StatusOnline
}

// A Runner is one runner as the registry knows it.
type Runner struct {
	Heartbeat
	Status   Status    `json:"status"`
	LastSeen time.Time `json:"lastSeen"` // when the hub last heard from it
}

// A Change is a runner whose status changed.
type Change struct {
	Name     string
	From, To Status // From is "" for a runner first seen
}

// Registry keeps runners from their heartbeats. It decides statuses with
// the clock it is given; it is safe for concurrent use.
type Registry struct {
	mu      sync.Mutex
	timeout time.Duration
	now     func() time.Time
	runners map[string]*Runner
}

// NewRegistry returns an empty registry marking a runner lost after
// timeout without a heartbeat; now is its clock (time.Now if nil).
func NewRegistry(timeout time.Duration, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{timeout: timeout, now: now, runners: map[string]*Runner{}}
}

// Seen records hb as heard at seenAt and returns the runner's status
// change, if any (a lost runner heard again is online).
func (r *Registry) Seen(hb Heartbeat, seenAt time.Time) (Change, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, ok := r.runners[hb.Name]
	if ok && seenAt.Before(cur.LastSeen) {
		return Change{}, false // an older heartbeat, delivered late
	}
	var from Status
	if ok {
		from = cur.Status
	}
	to := StatusAt(seenAt, r.now(), r.timeout)
	r.runners[hb.Name] = &Runner{Heartbeat: hb, Status: to, LastSeen: seenAt}
	return Change{Name: hb.Name, From: from, To: to}, from != to
}

// Forget drops runner name (its credentials were removed).
func (r *Registry) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.runners, name)
}

// Sweep re-decides every status at the clock's now and returns the changes.
func (r *Registry) Sweep() []Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var out []Change
	for name, cur := range r.runners {
		if to := StatusAt(cur.LastSeen, now, r.timeout); to != cur.Status {
			out = append(out, Change{Name: name, From: cur.Status, To: to})
			cur.Status = to
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// List returns the runners by name, their statuses decided at now.
func (r *Registry) List() []Runner {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := make([]Runner, 0, len(r.runners))
	for _, cur := range r.runners {
		c := *cur
		c.Status = StatusAt(c.LastSeen, now, r.timeout)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
