package main

import (
	"context"

	"github.com/corral-dev/corral/api"
)

// backend is the running core the window shows: the facade both shells
// expose, the event stream, and the orderly shutdown.
type backend struct {
	API    *api.API
	Events api.EventSource
	// Head returns the newest committed cursor; the window receives the
	// events after it live and reads older ones with GetEvents.
	Head func() (int64, error)
	// Close stops every managed process tree (terminate, grace period,
	// kill), flushes and closes the store. It is called once, before the
	// process exits.
	Close func(ctx context.Context) error
}
