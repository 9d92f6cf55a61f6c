package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/corral-dev/corral/policy"
	"github.com/corral-dev/corral/proc"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
)

// Stable error codes. A client matches on these; the wording of Message may
// change between versions, the codes do not.
const (
	CodeNotFound         = "not_found"           // no such session, process, request or method
	CodeInvalidArgument  = "invalid_argument"    // malformed or missing parameters, oversized body
	CodePolicyDenied     = "policy_denied"       // the policy refused (the rule is in the message)
	CodePermissionDenied = "permission_denied"   // the operating system refused corral's user (not the policy)
	CodeLimitReached     = "limit_reached"       // a concurrency or size limit is reached
	CodeSpawnFailed      = "spawn_failed"        // the program could not be started
	CodeConflict         = "conflict"            // the request does not fit the current state
	CodeUnauthorized     = "unauthorized"        // missing or wrong credentials
	CodeInternal         = "internal"            // anything else: a bug or an environmental failure
	CodeStorageFull      = store.CodeStorageFull // the disk of the data directory is full
	CodeStoreFailed      = store.CodeStoreFailed // the store cannot write (read-only data directory, I/O error)
	// CodeBudgetReached (usage.go): a budget cap is used up.
)

// Codes lists every code, in a stable order.
var Codes = []string{CodeNotFound, CodeInvalidArgument, CodePolicyDenied, CodeLimitReached,
	CodeSpawnFailed, CodeConflict, CodeUnauthorized, CodeInternal, CodePermissionDenied,
	CodeStorageFull, CodeStoreFailed, CodeUnsupported, CodeNoWorkspace, CodeNotARepository, CodeBareRepository,
	CodeNoCommits, CodeBranchExists, CodeGitMissing, CodeGhMissing, CodeUnsavedWork, CodeDirtyWorktree,
	CodeWorkspaceBusy, CodeNothingToCommit, CodeSetupFailed, CodeBudgetReached,
	CodeRunnerNotFound, CodeRunnerOffline, CodeNoRunnerForAgent}

// Error is the error every facade method returns to a transport: a stable
// Code and a message for people. Both transports send it as
// {"code": ..., "message": ...}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Rule is the policy rule that refused, for policy_denied.
	Rule string `json:"rule,omitempty"`
	// Details carries the data of some codes for a UI to show (see
	// docs/api.md: an invalid_argument refusing a message's attachments
	// gives AttachmentDetails; in "Workspaces", unsaved_work lists the
	// work that would be lost, conflict the conflicting files).
	Details any `json:"details,omitempty"`
	err     error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the error the API error was made from, if any.
func (e *Error) Unwrap() error { return e.err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError maps any error a backend returns to an *Error with a stable code.
// The mapping is by type and sentinel, never by message text:
//
//   - *Error: itself;
//   - *policy.Denied: policy_denied, with the rule;
//   - *proc.SpawnFailed: spawn_failed;
//   - session.ErrNotFound, store.ErrNotFound: not_found;
//   - session.ErrInvalid: invalid_argument;
//   - session.ErrConflict, store.ErrResolved: conflict;
//   - session.ErrLimit, *supervise.LimitReached: limit_reached;
//   - *store.Unavailable: storage_full (disk full) or store_failed;
//   - session.ErrBudget: budget_reached;
//   - context.Canceled, context.DeadlineExceeded and everything else: internal.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var denied *policy.Denied
	switch {
	case errors.As(err, &denied):
		e := &Error{Code: CodePolicyDenied, Message: err.Error(), Rule: denied.Rule, err: err}
		if denied.Rule == policy.RuleLimitConcurrent {
			e.Code = CodeLimitReached
		}
		if denied.Rule == policy.RuleOwnerUnknown {
			e.Code = CodeNotFound
		}
		if denied.Rule == policy.RuleProgramNotFound && strings.HasPrefix(denied.Capability, policy.AgentPrefix) {
			// An agent CLI that is not installed: the user's fix is to
			// install it, not to change a policy.
			e.Code = CodeSpawnFailed
		}
		return e
	}
	if e := workspaceError(err); e != nil {
		return e
	}
	var sf *proc.SpawnFailed
	var lim *supervise.LimitReached
	code := CodeInternal
	switch {
	case errors.As(err, &lim):
		code = CodeLimitReached
	case errors.As(err, &sf):
		code = CodeSpawnFailed
	case errors.Is(err, session.ErrNotFound), errors.Is(err, store.ErrNotFound):
		code = CodeNotFound
	case errors.Is(err, session.ErrInvalid):
		code = CodeInvalidArgument
	case errors.Is(err, session.ErrConflict), errors.Is(err, store.ErrResolved):
		code = CodeConflict
	case errors.Is(err, session.ErrLimit):
		code = CodeLimitReached
	case errors.Is(err, session.ErrSpawn):
		code = CodeSpawnFailed
	case store.Code(err) != "":
		code = store.Code(err)
	case budgetCode(err) != "":
		code = budgetCode(err)
	}
	return &Error{Code: code, Message: err.Error(), err: err}
}

// HTTPStatus is the HTTP status the transport sends with an error code.
func HTTPStatus(code string) int {
	switch code {
	case CodeNotFound:
		return http.StatusNotFound
	case CodeInvalidArgument:
		return http.StatusBadRequest
	case CodePolicyDenied, CodePermissionDenied:
		return http.StatusForbidden
	case CodeLimitReached:
		return http.StatusTooManyRequests
	case CodeSpawnFailed:
		return http.StatusBadGateway
	case CodeConflict:
		return http.StatusConflict
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeStorageFull:
		return http.StatusInsufficientStorage
	case CodeStoreFailed:
		return http.StatusServiceUnavailable
	case CodeBudgetReached:
		return http.StatusPaymentRequired
	default:
		if s := workspaceStatus(code); s != 0 {
			return s
		}
		if s := fleetStatus(code); s != 0 {
			return s
		}
		return http.StatusInternalServerError
	}
}

// isCtxErr reports a cancelled or timed-out call; it is not logged as a
// failure of corral.
func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
