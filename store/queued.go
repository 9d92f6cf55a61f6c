package store

import (
	"errors"
	"fmt"
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
// Options.OnError, and every queued write is kept (see Unavailable): one
// that a full disk refused is applied by the next commit that succeeds, so
// a run, a permission request or its decision, usage and status queued
// during an outage are not lost. A queued write's own
// refusal (the session was deleted meanwhile, an illegal status change,
// a decision on a request already decided) leaves nothing behind and is
// not reported: the queue's order makes it the later of two competing
// writes, and the earlier one stands.

// queueJob puts fn in the writer's queue and returns without waiting for
// its commit (the job's answer is left in its buffered channel).
func (s *Store) queueJob(op string, keep bool, fn func(t *wtx) error) error {
	if err := s.writable(op); err != nil {
		return err
	}
	return s.w.enqueue(item{job: &job{fn: fn, done: make(chan error, 1), keep: keep}})
}

// QueueSetStatus is SetStatus without the wait.
func (s *Store) QueueSetStatus(id, to, reason string) error {
	return s.queueJob("update session", true, s.updateSessionJob(id, reason, func(x *Session) error {
		x.Status = to
		return nil
	}))
}

// QueueUpdateSession is UpdateSession without the wait.
func (s *Store) QueueUpdateSession(id string, fn func(*Session) error) error {
	return s.queueJob("update session", true, s.updateSessionJob(id, "", fn))
}

// QueueAddUsage is AddUsage without the wait.
func (s *Store) QueueAddUsage(id string, u Usage) error {
	return s.queueJob("add usage", true, addUsageJob(id, u))
}

// QueueCreateRun is CreateRun without the wait.
func (s *Store) QueueCreateRun(r Run) error {
	if r.ID == "" {
		return errors.New("store: run id is empty")
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = s.opts.Now()
	}
	return s.queueJob("create run", true, createRunJob(r))
}

// QueueFinishRun is FinishRun without the wait.
func (s *Store) QueueFinishRun(runID string, end RunEnd) error {
	return s.queueJob("finish run", true, finishRunJob(runID, end))
}

// QueueAddPermissionRequest is AddPermissionRequest without the wait.
func (s *Store) QueueAddPermissionRequest(p PermissionRequest) error {
	if p.ID == "" {
		return errors.New("store: permission request id is empty")
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.opts.Now()
	}
	return s.queueJob("add permission request", true, addPermissionJob(p))
}

// QueueResolvePermission is ResolvePermission without the wait.
func (s *Store) QueueResolvePermission(id string, d Decision) error {
	if err := checkDecision(d); err != nil {
		return err
	}
	return s.queueJob("resolve permission", true, func(t *wtx) error {
		_, err := t.resolve(id, d)
		return err
	})
}

// checkDecision refuses a decision of an unknown kind.
func checkDecision(d Decision) error {
	switch d.Decision {
	case PermissionAllow, PermissionDeny, PermissionExpired:
		return nil
	}
	return fmt.Errorf("store: unknown permission decision %q", d.Decision)
}
