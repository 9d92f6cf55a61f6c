// Package api is corral's contract with its user interfaces: one facade
// struct (API) whose exported methods are the calls both shells expose, the
// error codes they return, and the browser-mode transport (HTTP calls,
// Server-Sent Events, the embedded frontend, authentication).
//
// # One list of methods
//
// Every exported method of *API has the shape
//
//	func (a *API) Name(ctx context.Context, p NameParams) (Result, error)
//
// Methods() derives the method table from that shape by reflection; the
// HTTP transport serves exactly that table at POST /api/call/{Name}, and the
// desktop shell binds the same struct, so the two cannot drift (a test
// asserts it). The facade holds no business logic: it validates the shape of
// parameters and delegates to the session manager and the process service.
package api

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"

	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/push"
	"github.com/corral-dev/corral/session"
)

// Sessions is what the facade needs of the session manager
// (*session.Manager implements it).
type Sessions interface {
	Agents(ctx context.Context) ([]session.AgentInfo, error)
	Create(ctx context.Context, opts session.CreateOptions) (session.Info, error)
	Send(ctx context.Context, sessionID, text string) (runID string, err error)
	Interrupt(ctx context.Context, sessionID string) error
	RespondPermission(ctx context.Context, a session.Answer) error
	Stop(ctx context.Context, sessionID string) error
	Resume(ctx context.Context, sessionID string) (session.Info, error)
	Delete(ctx context.Context, sessionID string) error
	List(ctx context.Context) ([]session.Info, error)
	Get(ctx context.Context, sessionID string) (session.Info, error)
	// Events returns up to limit events of a session with Seq > since, in
	// order, and whether more follow.
	Events(ctx context.Context, sessionID string, since int64, limit int) ([]event.Event, bool, error)
}

// Processes is what the facade needs of the process service (policy-checked
// one-shot commands and spawned processes owned by the UI).
type Processes interface {
	Capabilities(ctx context.Context) ([]Capability, error)
	Execute(ctx context.Context, p ExecuteParams) (ExecuteResult, error)
	Spawn(ctx context.Context, p SpawnParams) (SpawnResult, error)
	WriteStdin(ctx context.Context, processID string, data []byte) error
	CloseStdin(ctx context.Context, processID string) error
	Kill(ctx context.Context, processID string) error
	Stop(ctx context.Context, processID string) error
	List(ctx context.Context) ([]ProcessInfo, error)
}

// EventLog reads a session's log backwards (*store.Store implements it).
type EventLog interface {
	// EventsBefore returns up to limit of the newest events of a session
	// with Seq < before (before <= 0: the newest of all), in Seq order.
	EventsBefore(sessionID string, before int64, limit int) ([]event.Event, error)
}

// API is the facade. Only contract methods are exported on it.
type API struct {
	sessions  Sessions
	processes Processes
	log       EventLog
	reload    ConfigReloader
	titles    SessionTitles
	sched     Scheduler
	usage     UsageSource
	router    Router                      // fleet_route.go
	fleet     Fleet                       // fleet.go
	createOn  SessionRouter               // fleet.go
	limList   atomic.Pointer[limitedList] // the list with limits, encoded (listlimits.go)
	devices   *Devices
	push      *push.Service
}

// Option configures the facade.
type Option func(*API)

// WithEventLog lets GetEvents page backwards ({tail} and {before}): a
// client opens a long session at its end without reading it from the start.
// Without it those parameters fail with code internal ("not available").
func WithEventLog(l EventLog) Option { return func(a *API) { a.log = l } }

// New returns the facade over its backends. processes may be nil: the
// process methods then fail with code internal ("not available").
func New(sessions Sessions, processes Processes, opts ...Option) *API {
	a := &API{sessions: sessions, processes: processes}
	for _, o := range opts {
		o(a)
	}
	return a
}

// ---------------------------------------------------------------- params and results

// Empty is the parameter and result of methods that take or return nothing.
// It is sent as {}.
type Empty struct{}

// CreateSessionParams are the parameters of CreateSession.
type CreateSessionParams struct {
	Agent          string `json:"agent"`
	Cwd            string `json:"cwd"`
	Model          string `json:"model,omitempty"`
	PermissionMode string `json:"permissionMode,omitempty"`
	Prompt         string `json:"prompt,omitempty"`
	// Isolation is "worktree" (a git worktree of its own on a new branch),
	// "none" (the agent works in cwd), or absent: the configured default
	// ([sessions] isolation, "worktree"), which falls back to "none" for a
	// directory that is not in a usable git repository (docs/workspaces.md).
	Isolation string `json:"isolation,omitempty"`
	// BaseRef is the commit-ish the worktree starts from (default: the
	// repository's HEAD).
	BaseRef string `json:"baseRef,omitempty"`
	// Budget is the session's own caps (see SetBudget), set before the
	// prompt is sent.
	Budget *BudgetParams `json:"budget,omitempty"`
	// Runner, with the fleet on, starts the session on that runner, or
	// on the least-loaded one with the agent for "*" (fleet.go).
	Runner string `json:"runner,omitempty"`
}

// SessionParams name one session.
type SessionParams struct {
	SessionID string `json:"sessionId"`
}

// SendMessageParams are the parameters of SendMessage.
type SendMessageParams struct {
	SessionID string `json:"sessionId"`
	Text      string `json:"text"`
	// Attachments are files sent with the text (attach.go); with them the
	// text may be empty.
	Attachments []AttachmentParam `json:"attachments,omitempty"`
}

// SendMessageResult is the run the message started, or, when a turn was
// running, where the message waits in the session's queue (queue.go).
type SendMessageResult struct {
	RunID     string `json:"runId,omitempty"`
	Queued    bool   `json:"queued,omitempty"`
	MessageID string `json:"messageId,omitempty"`
	Position  int    `json:"position,omitempty"`
}

// RespondPermissionParams answer a permission.request.
type RespondPermissionParams struct {
	SessionID string `json:"sessionId"`
	RequestID string `json:"requestId"`
	Allow     bool   `json:"allow"`
	Message   string `json:"message,omitempty"`
	Remember  bool   `json:"remember,omitempty"`
	// UpdatedInput replaces the tool's input when allowing.
	UpdatedInput json.RawMessage `json:"updatedInput,omitempty"`
}

// GetEventsParams page through one session's log by Seq. Forwards (the
// default): the events with Seq > Since. Backwards: with Tail the newest
// events of the session, with Before the newest events with Seq < Before;
// Since must then be 0. Either way a page holds at most Limit events in
// ascending Seq order.
type GetEventsParams struct {
	SessionID string `json:"sessionId"`
	Since     int64  `json:"since,omitempty"`
	Limit     int    `json:"limit,omitempty"`
	Tail      bool   `json:"tail,omitempty"`
	Before    int64  `json:"before,omitempty"`
}

// GetEventsResult is one page of events. More says that events follow the
// page (forwards) or precede it (backwards).
type GetEventsResult struct {
	Events []event.Event `json:"events"`
	More   bool          `json:"more"`
}

// MaxEventsPage caps GetEvents' limit (and is its default).
const MaxEventsPage = 1000

// CapabilityArg is one positional argument of a capability.
type CapabilityArg struct {
	Literal   string `json:"literal,omitempty"`
	Validator string `json:"validator,omitempty"`
	Optional  bool   `json:"optional,omitempty"`
	Rest      bool   `json:"rest,omitempty"`
}

// Capability is one allowed command.
type Capability struct {
	Name        string          `json:"name"`
	Program     string          `json:"program"`
	Args        []CapabilityArg `json:"args"`
	Description string          `json:"description,omitempty"`
	Cwd         []string        `json:"cwd,omitempty"`
}

// ExecuteParams run one command to completion.
type ExecuteParams struct {
	Capability string   `json:"capability"`
	Args       []string `json:"args"`
	Cwd        string   `json:"cwd,omitempty"`
	Stdin      string   `json:"stdin,omitempty"`
	TimeoutMs  int64    `json:"timeoutMs,omitempty"`
}

// ExecuteResult is a finished command's output (capped).
//
// Stdout and Stderr are text: valid UTF-8, with each byte that is not part
// of a valid sequence replaced by U+FFFD. When a stream was not valid UTF-8
// (binary output, another encoding, a character cut by the cap),
// StdoutBase64 or StderrBase64 holds its exact bytes in standard base64;
// they are absent otherwise.
type ExecuteResult struct {
	Code         int    `json:"code"`
	Stdout       string `json:"stdout"`
	Stderr       string `json:"stderr"`
	Truncated    bool   `json:"truncated"`
	StdoutBase64 string `json:"stdoutBase64,omitempty"`
	StderrBase64 string `json:"stderrBase64,omitempty"`
}

// SpawnParams start a long-running command whose output arrives as events.
type SpawnParams struct {
	Capability string   `json:"capability"`
	Args       []string `json:"args"`
	Cwd        string   `json:"cwd,omitempty"`
}

// SpawnResult names the spawned process.
type SpawnResult struct {
	ProcessID string `json:"processId"`
}

// ProcessParams name one spawned process; Data is written by WriteStdin.
type ProcessParams struct {
	ProcessID string `json:"processId"`
	Data      string `json:"data,omitempty"`
}

// ProcessInfo is one live process.
type ProcessInfo struct {
	ProcessID string   `json:"processId"`
	PID       int      `json:"pid"`
	Name      string   `json:"name"`
	Argv      []string `json:"argv,omitempty"`
	SessionID string   `json:"sessionId,omitempty"`
	State     string   `json:"state"`
	StartedAt string   `json:"startedAt"`
	UptimeMs  int64    `json:"uptimeMs"`
	CPU       float64  `json:"cpu"`
	RSS       int64    `json:"rss"`
	Restarts  int      `json:"restarts"`
	Children  int      `json:"children,omitempty"`
}

// ListDirectoryParams name a directory to list. An empty Path is the home
// directory of corral's user; a leading "~" stands for it.
type ListDirectoryParams struct {
	Path       string `json:"path,omitempty"`
	ShowHidden bool   `json:"showHidden,omitempty"`
}

// DirEntry is one subdirectory; Path is absolute.
type DirEntry struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// ListDirectoryResult is a directory's subdirectories. Path is absolute,
// clean and free of symlinks; Parent is "" at the root. Entries are
// sorted case-insensitively; Truncated says that more than MaxDirEntries
// subdirectories exist and only the first are listed.
type ListDirectoryResult struct {
	Path      string     `json:"path"`
	Parent    string     `json:"parent"`
	Entries   []DirEntry `json:"entries"`
	Truncated bool       `json:"truncated"`
}

// ---------------------------------------------------------------- helpers

func required(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return Errorf(CodeInvalidArgument, "%s is required", name)
	}
	return nil
}

func (a *API) procs() (Processes, error) {
	if a.processes == nil {
		return nil, Errorf(CodeInternal, "process control is not available in this build")
	}
	return a.processes, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ---------------------------------------------------------------- sessions

// ListAgents lists configured and known agent CLIs with path, version and status.
func (a *API) ListAgents(ctx context.Context, _ Empty) ([]session.AgentInfo, error) {
	l, err := a.sessions.Agents(ctx)
	return orEmpty(l), err
}

// CreateSession starts a session with an agent; with a prompt, its first turn runs at once.
func (a *API) CreateSession(ctx context.Context, p CreateSessionParams) (session.Info, error) {
	if err := required("agent", p.Agent); err != nil {
		return session.Info{}, err
	}
	if err := required("cwd", p.Cwd); err != nil {
		return session.Info{}, err
	}
	if p.Runner != "" {
		return a.createOnRunner(ctx, p)
	}
	return a.sessions.Create(ctx, session.CreateOptions{
		Agent: p.Agent, Cwd: p.Cwd, Model: p.Model, PermissionMode: p.PermissionMode, Prompt: p.Prompt,
		Isolation: p.Isolation, BaseRef: p.BaseRef,
		Budget: p.Budget.store(),
	})
}

// SendMessage starts a turn with the user's text; while a turn runs the
// message is queued instead (see ListQueued).
func (a *API) SendMessage(ctx context.Context, p SendMessageParams) (SendMessageResult, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return SendMessageResult{}, err
	}
	if len(p.Attachments) > 0 {
		return a.sendWithAttachments(ctx, p)
	}
	if err := required("text", p.Text); err != nil {
		return SendMessageResult{}, err
	}
	return a.sendOrQueue(ctx, p)
}

// Interrupt cuts the running turn short; the session stays usable.
func (a *API) Interrupt(ctx context.Context, p SessionParams) (Empty, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return Empty{}, err
	}
	return Empty{}, a.sessions.Interrupt(ctx, p.SessionID)
}

// RespondPermission answers a pending permission request.
func (a *API) RespondPermission(ctx context.Context, p RespondPermissionParams) (Empty, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return Empty{}, err
	}
	if err := required("requestId", p.RequestID); err != nil {
		return Empty{}, err
	}
	return Empty{}, a.sessions.RespondPermission(ctx, session.Answer{
		SessionID: p.SessionID, RequestID: p.RequestID, Allow: p.Allow,
		Message: p.Message, Remember: p.Remember, Input: p.UpdatedInput, By: "user",
	})
}

// StopSession ends a session for good and stops its processes.
func (a *API) StopSession(ctx context.Context, p SessionParams) (Empty, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return Empty{}, err
	}
	return Empty{}, a.sessions.Stop(ctx, p.SessionID)
}

// ResumeSession re-attaches an agent process to a session that has none.
func (a *API) ResumeSession(ctx context.Context, p SessionParams) (session.Info, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.Info{}, err
	}
	return a.sessions.Resume(ctx, p.SessionID)
}

// DeleteSession stops a session and deletes it with its events.
func (a *API) DeleteSession(ctx context.Context, p SessionParams) (Empty, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return Empty{}, err
	}
	return Empty{}, a.sessions.Delete(ctx, p.SessionID)
}

// SessionList is the result of ListSessions: a JSON array of sessions.
// When the backend keeps the list pre-encoded, the transport sends those
// bytes as they are.
type SessionList struct {
	Sessions []session.Info
	raw      []byte
}

// MarshalJSON encodes the list as an array.
func (l SessionList) MarshalJSON() ([]byte, error) {
	if l.raw != nil {
		return l.raw, nil
	}
	return json.Marshal(orEmpty(l.Sessions))
}

// RawJSON returns the pre-encoded list, or nil.
func (l SessionList) RawJSON() []byte { return l.raw }

// listJSONer is implemented by a Sessions backend that caches the encoded
// list (*session.Manager does).
type listJSONer interface {
	ListJSON(ctx context.Context) ([]session.Info, []byte, error)
}

// ListSessions lists every session, most recently active first.
func (a *API) ListSessions(ctx context.Context, _ Empty) (SessionList, error) {
	if lj, ok := a.sessions.(listJSONer); ok {
		l, raw, err := lj.ListJSON(ctx)
		if err == nil && a.limited() {
			l, raw, err = a.listWithLimits(l, raw)
		}
		return SessionList{Sessions: orEmpty(l), raw: raw}, err
	}
	l, err := a.sessions.List(ctx)
	return SessionList{Sessions: orEmpty(a.withLimits(l))}, err
}

// GetSession returns one session.
func (a *API) GetSession(ctx context.Context, p SessionParams) (session.Info, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return session.Info{}, err
	}
	in, err := a.sessions.Get(ctx, p.SessionID)
	return a.withLimit(in), err
}

// GetEvents pages through one session's event log by Seq, forwards from
// Since or backwards from the end (Tail) or from Before.
func (a *API) GetEvents(ctx context.Context, p GetEventsParams) (GetEventsResult, error) {
	if err := required("sessionId", p.SessionID); err != nil {
		return GetEventsResult{}, err
	}
	if p.Since < 0 || p.Limit < 0 || p.Before < 0 {
		return GetEventsResult{}, Errorf(CodeInvalidArgument, "since, before and limit must not be negative")
	}
	if p.Limit == 0 || p.Limit > MaxEventsPage {
		p.Limit = MaxEventsPage
	}
	if p.Tail || p.Before > 0 {
		if p.Since != 0 {
			return GetEventsResult{}, Errorf(CodeInvalidArgument, "since pages forwards; it cannot be combined with tail or before")
		}
		if p.Tail && p.Before > 0 {
			return GetEventsResult{}, Errorf(CodeInvalidArgument, "tail and before are exclusive")
		}
		if a.log == nil {
			return GetEventsResult{}, Errorf(CodeInternal, "paging backwards is not available")
		}
		// The log answers an unknown session with an empty page; the
		// contract says not_found, as the forward read does.
		if _, err := a.sessions.Get(ctx, p.SessionID); err != nil {
			return GetEventsResult{}, err
		}
		evs, err := a.log.EventsBefore(p.SessionID, p.Before, p.Limit+1)
		if err != nil {
			return GetEventsResult{}, err
		}
		more := len(evs) > p.Limit
		if more {
			evs = evs[1:]
		}
		return GetEventsResult{Events: orEmpty(evs), More: more}, nil
	}
	evs, more, err := a.sessions.Events(ctx, p.SessionID, p.Since, p.Limit)
	return GetEventsResult{Events: orEmpty(evs), More: more}, err
}

// ---------------------------------------------------------------- file system

// ListDirectory lists the subdirectories of a directory (never its files),
// for choosing a session's working directory.
func (a *API) ListDirectory(ctx context.Context, p ListDirectoryParams) (ListDirectoryResult, error) {
	return listDirectory(ctx, p)
}

// ---------------------------------------------------------------- processes

// ListCapabilities lists the commands the policy allows.
func (a *API) ListCapabilities(ctx context.Context, _ Empty) ([]Capability, error) {
	ps, err := a.procs()
	if err != nil {
		return nil, err
	}
	l, err := ps.Capabilities(ctx)
	return orEmpty(l), err
}

// Execute runs one allowed command to completion and returns its capped output.
func (a *API) Execute(ctx context.Context, p ExecuteParams) (ExecuteResult, error) {
	if err := required("capability", p.Capability); err != nil {
		return ExecuteResult{}, err
	}
	if p.TimeoutMs < 0 {
		return ExecuteResult{}, Errorf(CodeInvalidArgument, "timeoutMs must not be negative")
	}
	ps, err := a.procs()
	if err != nil {
		return ExecuteResult{}, err
	}
	return ps.Execute(ctx, p)
}

// Spawn starts an allowed command; its output arrives as events.
func (a *API) Spawn(ctx context.Context, p SpawnParams) (SpawnResult, error) {
	if err := required("capability", p.Capability); err != nil {
		return SpawnResult{}, err
	}
	ps, err := a.procs()
	if err != nil {
		return SpawnResult{}, err
	}
	return ps.Spawn(ctx, p)
}

// WriteStdin writes data to a spawned process's stdin.
func (a *API) WriteStdin(ctx context.Context, p ProcessParams) (Empty, error) {
	if err := required("processId", p.ProcessID); err != nil {
		return Empty{}, err
	}
	ps, err := a.procs()
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, ps.WriteStdin(ctx, p.ProcessID, []byte(p.Data))
}

// CloseStdin closes a spawned process's stdin.
func (a *API) CloseStdin(ctx context.Context, p ProcessParams) (Empty, error) {
	if err := required("processId", p.ProcessID); err != nil {
		return Empty{}, err
	}
	ps, err := a.procs()
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, ps.CloseStdin(ctx, p.ProcessID)
}

// Kill kills a spawned process's whole tree at once.
func (a *API) Kill(ctx context.Context, p ProcessParams) (Empty, error) {
	if err := required("processId", p.ProcessID); err != nil {
		return Empty{}, err
	}
	ps, err := a.procs()
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, ps.Kill(ctx, p.ProcessID)
}

// StopProcess stops a spawned process gracefully (terminate, wait, kill).
func (a *API) StopProcess(ctx context.Context, p ProcessParams) (Empty, error) {
	if err := required("processId", p.ProcessID); err != nil {
		return Empty{}, err
	}
	ps, err := a.procs()
	if err != nil {
		return Empty{}, err
	}
	return Empty{}, ps.Stop(ctx, p.ProcessID)
}

// ListProcesses lists live processes with pid, uptime, CPU and RSS of the whole tree.
func (a *API) ListProcesses(ctx context.Context, _ Empty) ([]ProcessInfo, error) {
	ps, err := a.procs()
	if err != nil {
		return nil, err
	}
	l, err := ps.List(ctx)
	return orEmpty(l), err
}
