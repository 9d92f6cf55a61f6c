package relay

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/corral-dev/corral/fleet"
	"github.com/corral-dev/corral/store"
)

// Presence keeps a hub's replicas in step with its runners' reachability.
// When the registry loses a runner, its live sessions get status
// disconnected (store.DisconnectRunner); when the runner is online again,
// the hub asks it for its sessions (ListSessions) and puts the runner's
// statuses back on those still disconnected (store.ReconnectRunner). A
// session whose turn ran when the runner died gets its real end from the
// runner's own recovery, which the relay carries like any event.
//
// OnChange is fleet.HubOptions.OnChange: it only queues, so the registry
// never waits on the store or on a runner; the changes are handled in
// order by one goroutine, which Start starts and Close stops.
type Presence struct {
	store *store.Store
	logf  func(format string, args ...any)

	mu     sync.Mutex
	queue  []fleet.Change
	gen    map[string]int // per runner: changes received, so a retry knows it is stale
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// NewPresence returns a Presence over the hub's store; logf (optional)
// hears of failures.
func NewPresence(st *store.Store, logf func(format string, args ...any)) *Presence {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Presence{store: st, logf: logf, kick: make(chan struct{}, 1), gen: map[string]int{}}
}

// OnChange queues a runner status change.
func (p *Presence) OnChange(c fleet.Change) {
	p.mu.Lock()
	p.gen[c.Name]++
	p.queue = append(p.queue, c)
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Start handles the queued changes and the ones to come, asking runners
// through client. Call it once.
func (p *Presence) Start(client *Client) {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go p.run(ctx, client)
}

// Close stops handling changes (a call to a runner in progress is
// cancelled) and waits for it to end.
func (p *Presence) Close() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}

func (p *Presence) run(ctx context.Context, client *Client) {
	defer close(p.done)
	for {
		p.mu.Lock()
		q := p.queue
		p.queue = nil
		p.mu.Unlock()
		for _, c := range q {
			if ctx.Err() != nil {
				return
			}
			p.handle(ctx, client, c)
		}
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		}
	}
}

// handle applies one change to the hub's store.
func (p *Presence) handle(ctx context.Context, client *Client, c fleet.Change) {
	switch c.To {
	case fleet.StatusLost:
		if _, err := p.store.DisconnectRunner(ctx, c.Name); err != nil {
			p.logf("relay: marking runner %s's sessions disconnected: %v", c.Name, err)
		}
	case fleet.StatusOnline:
		// A hub that restarted may see a runner online (its last
		// heartbeat is recent) before the runner has dialed it again:
		// try again while no newer change came.
		p.mu.Lock()
		gen := p.gen[c.Name]
		p.mu.Unlock()
		for try := 0; ; try++ {
			err := p.reconcile(ctx, client, c.Name)
			if err == nil {
				return
			}
			p.mu.Lock()
			stale := p.gen[c.Name] != gen
			p.mu.Unlock()
			if stale || try == reconcileTries-1 {
				p.logf("relay: taking runner %s's session statuses back: %v", c.Name, err)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(reconcileRetry):
			}
		}
	}
}

// reconcileTries and reconcileRetry bound the attempts to reconcile with a
// runner seen online.
const (
	reconcileTries = 30
	reconcileRetry = time.Second
)

// reconcile asks runner for its sessions and puts their statuses back on
// the hub's disconnected replicas.
func (p *Presence) reconcile(ctx context.Context, client *Client, runner string) error {
	cctx, cancel := context.WithTimeout(ctx, DefaultCallTimeout)
	defer cancel()
	raw, err := client.Call(cctx, runner, "ListSessions", nil)
	if err != nil {
		return err
	}
	var list []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return err
	}
	statuses := make(map[string]string, len(list))
	for _, s := range list {
		statuses[s.ID] = s.Status
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	_, err = p.store.ReconnectRunner(wctx, runner, statuses)
	return err
}
