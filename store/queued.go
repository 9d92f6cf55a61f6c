package store

import (
	"context"
	"errors"
)

// Queued record writes. Each of these is the record write of the same name
// without the wait for its commit: the write is put in the writer's queue
// at once, in order with the events appended before and after it (Append
// uses the same queue), and committed with them. A caller that must not
// wait on the disk (a session's agent-output path) uses these; one whose
// reply needs the write done (a new session's id) uses the waiting form.
//
// The error is returned only when the write cannot be queued (the store is
// closed or read-only). A failed commit is reported like Append's, through
// Options.OnError, and a kept write (SetStatus, FinishRun: see Unavailable)
// is applied by the next commit that succeeds. A queued write's own
// refusal (the session was deleted meanwhile, an illegal status change,
// a decision on a request already decided) leaves nothing behind and is
// not reported: the queue's order makes it the later of two competing
// writes, and the earlier one stands.

// noWait is a context that is already done: a write submitted with it is
// queued, and the submitter stops waiting at once (the job still runs; see
// writer.submit).
var noWait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// queued turns the "stopped waiting" of a write submitted with noWait into
// success; any other error is the queueing's own.
func queued(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// QueueSetStatus is SetStatus without the wait.
func (s *Store) QueueSetStatus(id, to, reason string) error {
	_, err := s.SetStatus(noWait, id, to, reason)
	return queued(err)
}

// QueueUpdateSession is UpdateSession without the wait.
func (s *Store) QueueUpdateSession(id string, fn func(*Session) error) error {
	_, err := s.UpdateSession(noWait, id, fn)
	return queued(err)
}

// QueueAddUsage is AddUsage without the wait.
func (s *Store) QueueAddUsage(id string, u Usage) error {
	return queued(s.AddUsage(noWait, id, u))
}

// QueueCreateRun is CreateRun without the wait.
func (s *Store) QueueCreateRun(r Run) error {
	return queued(s.CreateRun(noWait, r))
}

// QueueFinishRun is FinishRun without the wait.
func (s *Store) QueueFinishRun(runID string, end RunEnd) error {
	_, err := s.FinishRun(noWait, runID, end)
	return queued(err)
}

// QueueAddPermissionRequest is AddPermissionRequest without the wait.
func (s *Store) QueueAddPermissionRequest(p PermissionRequest) error {
	return queued(s.AddPermissionRequest(noWait, p))
}

// QueueResolvePermission is ResolvePermission without the wait.
func (s *Store) QueueResolvePermission(id string, d Decision) error {
	_, err := s.ResolvePermission(noWait, id, d)
	return queued(err)
}
