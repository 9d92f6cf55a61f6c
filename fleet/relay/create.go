package relay

import (
	"context"
	"encoding/json"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/session"
)

// ReplicaWait bounds how long Create waits for the hub's replica of a new
// session (its first event through CORRAL_EVENTS) before it returns.
const ReplicaWait = 10 * time.Second

// Create is the api.SessionRouter of a hub (api.WithSessionRouter): it
// creates the session on runner (CreateSession with the same parameters,
// runner cleared, so the runner creates it locally) and waits, at most
// ReplicaWait, until the hub's store holds the session's replica, so that
// the caller's next call on the session is routed to its runner. A session
// whose replica is late is still returned; its methods answer not_found on
// the hub until the replica arrives.
func (r HubRouter) Create(ctx context.Context, runner string, p api.CreateSessionParams) (session.Info, error) {
	p.Runner = ""
	params, err := json.Marshal(p)
	if err != nil {
		return session.Info{}, err
	}
	raw, err := r.Client.Call(ctx, runner, "CreateSession", params)
	if err != nil {
		return session.Info{}, err
	}
	var info session.Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return session.Info{}, api.Errorf(api.CodeInternal, "runner %s: CreateSession result: %v", runner, err)
	}
	info.Runner = runner
	r.awaitReplica(ctx, info.ID, runner)
	return info, nil
}

// awaitReplica polls the hub's store until session id is known as
// runner's, ctx ends or ReplicaWait passes.
func (r HubRouter) awaitReplica(ctx context.Context, id, runner string) {
	deadline := time.NewTimer(ReplicaWait)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if owner, err := r.Store.SessionRunner(id); err == nil && owner == runner {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}
