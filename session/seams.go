package session

import (
	"context"
	"os"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

// The session layer depends on these small interfaces, not on the store,
// the supervisor and the policy themselves; wiring.go adapts the real ones
// (OpenRuntime, in manager_runtime.go, puts them together), and tests
// substitute their own.

// Recorder is the durable log as the session layer uses it.
//
// The writes a session makes while it runs (events, status changes,
// usage, runs, permission records, its record's updates) are queued: they
// return once the write is in the store's queue, never wait for a commit,
// and commit in queue order with the session's events. So the agent's
// output path never waits on the disk, and a session's history keeps the
// order in which the session produced it. Only the writes whose result an
// API reply needs wait: CreateSession (the id must exist when the reply
// names it), DeleteSession, and Sync at shutdown.
type Recorder interface {
	// Queued writes (see the type's doc).
	Append(evs ...event.Event) error
	QueueSetStatus(id, to, reason string) error
	QueueUpdateSession(id string, fn func(*store.Session) error) error
	QueueAddUsage(id string, u store.Usage) error
	QueueCreateRun(r store.Run) error
	QueueFinishRun(runID string, end store.RunEnd) error
	QueueAddPermissionRequest(p store.PermissionRequest) error
	QueueResolvePermission(id string, d store.Decision) error
	// The message queue (queue.go): each write also appends its queue.* event.
	QueueAddMessage(m store.QueuedMessage, position int) error
	QueueEditMessage(sessionID, id, text string) error
	QueueRemoveMessage(sessionID, kind string, d store.QueueEventData) error

	// Writes that wait for their commit.
	CreateSession(ctx context.Context, x store.Session) (store.Session, error)
	DeleteSession(ctx context.Context, id string) error
	Sync(ctx context.Context) error
	Recover(ctx context.Context) (store.Recovery, error)

	// Reads.
	GetSession(id string) (store.Session, error)
	ListSessions(limit int) ([]store.Session, error)
	EventCounts() (map[string]int64, error)
	StreamStats(sessionID string) (store.Stats, error)
	Events(sessionID string, since int64, limit int) ([]event.Event, error)
	GetPermission(id string) (store.PermissionRequest, error)
	ListQueued(sessionID string) ([]store.QueuedMessage, error)
	// LostEvents and LostCause report what the store could not write
	// (see storefail.go).
	LostEvents(sessionID string) int64
	LostCause() error
}

// Launcher runs agent processes (the supervisor).
type Launcher interface {
	Start(spec supervise.Spec) (Proc, error)
	List() []supervise.Info
	// Shutdown stops every process and waits for them (or ctx, then kills).
	Shutdown(ctx context.Context) error
}

// Proc is one agent process the Launcher started.
type Proc interface {
	ID() string
	Info() supervise.Info
	// Done is closed when the process has ended for good (after its
	// run.exited was handed to the sink).
	Done() <-chan struct{}
	Stop()
	Kill()
	Signal(sig os.Signal) error
	Write(b []byte) (int, error)
	CloseStdin() error
}

// PolicyChecker decides agent launches (the policy).
type PolicyChecker interface {
	Check(req policy.Request) (policy.Resolved, error)
	ListCapabilities() []policy.CapabilityInfo
}
