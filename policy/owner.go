package policy

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"

	"github.com/corral-dev/corral/event"
)

// Owner identifies who started a process: a session, or a caller acting
// through a capability grant (one API client, one `corral run`). Only the
// owner may write to or kill the process.
type Owner struct {
	Kind string `json:"kind"` // OwnerSession or OwnerGrant
	ID   string `json:"id"`
}

// Owner kinds.
const (
	OwnerSession = "session"
	OwnerGrant   = "grant"
)

// SessionOwner is the owner for processes a session starts.
func SessionOwner(id string) Owner { return Owner{Kind: OwnerSession, ID: id} }

// GrantOwner is the owner for processes a caller starts through a
// capability grant (for example one authenticated API client).
func GrantOwner(id string) Owner { return Owner{Kind: OwnerGrant, ID: id} }

// IsZero reports whether o names nobody.
func (o Owner) IsZero() bool { return o.ID == "" }

func (o Owner) String() string {
	if o.IsZero() {
		return "nobody"
	}
	return o.Kind + ":" + o.ID
}

// Owns reports whether caller may act on a process owned by processOwner:
// the two must be the same non-zero owner. There is no wildcard owner;
// corral's own shutdown kills through the supervisor, not through this check.
func Owns(caller, processOwner Owner) bool {
	return !caller.IsZero() && caller == processOwner
}

// NewProcessID returns an unguessable process handle ("p_" and 32 hex
// digits). Handles, never OS pids, name processes across the API.
func NewProcessID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("policy: crypto/rand failed: " + err.Error())
	}
	return "p_" + hex.EncodeToString(b[:])
}

// Registry records which owner started each live process and answers
// whether a caller may write to or kill it. It is safe for concurrent use.
// The supervisor registers a process when it starts and forgets it once the
// process is reaped; the API authorizes every WriteStdin, CloseStdin and
// Kill through it.
type Registry struct {
	mu    sync.Mutex
	procs map[string]Owner
	sink  func(event.Event)
}

// NewRegistry returns an empty registry; sink, if not nil, receives one
// policy.decision event per Authorize call.
func NewRegistry(sink func(event.Event)) *Registry {
	return &Registry{procs: map[string]Owner{}, sink: sink}
}

// isRawPID reports whether id looks like an OS process id (only digits,
// optionally signed). Such an id is refused outright so that no code path
// can be tricked into treating a pid as a handle.
func isRawPID(id string) bool {
	if id == "" {
		return false
	}
	s := id
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Register records that owner started the process with handle id. The id
// must not be empty, must not look like a pid and must not be registered.
func (r *Registry) Register(id string, owner Owner) error {
	if owner.IsZero() {
		return deny("", RuleOwnerNone, fmt.Sprintf("process %s cannot be registered without an owner", quote(id)))
	}
	if id == "" || isRawPID(id) {
		return &Denied{Rule: RuleOwnerRawPID, Position: -1, Given: id,
			Message: fmt.Sprintf("%s is not a process handle; use NewProcessID, never an OS pid", quote(id))}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.procs[id]; dup {
		return fmt.Errorf("policy: process handle %s is already registered", quote(id))
	}
	r.procs[id] = owner
	return nil
}

// Forget removes a process (after it has been reaped). Unknown ids are
// ignored.
func (r *Registry) Forget(id string) {
	r.mu.Lock()
	delete(r.procs, id)
	r.mu.Unlock()
}

// OwnerOf returns the owner of a registered process.
func (r *Registry) OwnerOf(id string) (Owner, bool) {
	r.mu.Lock()
	o, ok := r.procs[id]
	r.mu.Unlock()
	return o, ok
}

// List returns, sorted, the handles of the processes caller owns.
func (r *Registry) List(caller Owner) []string {
	r.mu.Lock()
	var out []string
	for id, o := range r.procs {
		if Owns(caller, o) {
			out = append(out, id)
		}
	}
	r.mu.Unlock()
	sort.Strings(out)
	return out
}

// Authorize returns nil when caller owns the process id, else a *Denied
// with rule owner.rawpid, owner.none, owner.unknown or owner.mismatch.
// action ("write", "close-stdin", "kill", ...) only labels the audit event
// and the message. An unknown handle and another owner's handle are told
// apart in the rule so the owner of a process is never revealed: the
// message names neither.
func (r *Registry) Authorize(caller Owner, id, action string) error {
	d := r.authorize(caller, id, action)
	if r.sink != nil {
		data := ownerDecision{Allowed: d == nil, Action: action, ProcessID: id, Caller: caller.String(), Rule: RuleAllow}
		if d != nil {
			data.Rule, data.Message = d.Rule, d.Message
		}
		ev := event.New(event.PolicyDecision, data)
		ev.ProcessID = id
		if caller.Kind == OwnerSession {
			ev.SessionID = caller.ID
		}
		r.sink(ev)
	}
	if d != nil {
		return d
	}
	return nil
}

func (r *Registry) authorize(caller Owner, id, action string) *Denied {
	if isRawPID(id) {
		return &Denied{Rule: RuleOwnerRawPID, Position: -1, Given: id,
			Message: fmt.Sprintf("cannot %s %s: raw OS pids are never accepted, only process handles", action, quote(id))}
	}
	if caller.IsZero() {
		return &Denied{Rule: RuleOwnerNone, Position: -1, Given: id,
			Message: fmt.Sprintf("cannot %s process %s without an owner identity", action, quote(id))}
	}
	r.mu.Lock()
	o, ok := r.procs[id]
	r.mu.Unlock()
	if !ok {
		return &Denied{Rule: RuleOwnerUnknown, Position: -1, Given: id,
			Message: fmt.Sprintf("cannot %s process %s: no such live process", action, quote(id))}
	}
	if !Owns(caller, o) {
		return &Denied{Rule: RuleOwnerMismatch, Position: -1, Given: id,
			Message: fmt.Sprintf("cannot %s process %s: it was started by another owner, not by %s", action, quote(id), caller)}
	}
	return nil
}

type ownerDecision struct {
	Allowed   bool   `json:"allowed"`
	Action    string `json:"action"`
	ProcessID string `json:"processId"`
	Caller    string `json:"caller"`
	Rule      string `json:"rule"`
	Message   string `json:"message,omitempty"`
}
