package session

import (
	"errors"
	"time"

	"github.com/corral-dev/corral/agent"
	"github.com/corral-dev/corral/store"
	"github.com/corral-dev/corral/supervise"
	"github.com/corral-dev/corral/workspace"
)

// Errors the Manager returns, wrapped with details. The api package maps
// them to stable codes (not_found, invalid_argument, conflict,
// limit_reached, spawn_failed).
var (
	ErrNotFound = errors.New("session: not found")
	ErrInvalid  = errors.New("session: invalid argument")
	ErrConflict = errors.New("session: conflicts with the current state")
	ErrLimit    = errors.New("session: limit reached")
	ErrSpawn    = errors.New("session: agent could not be started")
	ErrClosed   = errors.New("session: manager is shut down")
)

// ErrorAgentAuth is the type of the error event of a turn the agent's
// model API refused for its credentials, or that the agent could not start
// for lack of them (Claude's "Not logged in"). Its message says what to do:
// which variable to export, or which login command to run.
const ErrorAgentAuth = "agent_auth"

// Info is a session as clients see it (ListSessions, GetSession,
// CreateSession). Field names are the JSON contract; the web client's types are
// generated from them (web/src/lib/contract.gen.ts, go generate ./api).
type Info struct {
	ID                 string    `json:"id"`
	Agent              string    `json:"agent"`
	Cwd                string    `json:"cwd"`
	Model              string    `json:"model,omitempty"`
	PermissionMode     string    `json:"permissionMode,omitempty"`
	Status             Status    `json:"status"`
	Title              string    `json:"title,omitempty"`
	CreatedAt          time.Time `json:"createdAt"`
	LastActivity       time.Time `json:"lastActivity"`
	CostUSD            float64   `json:"costUsd"`
	InputTokens        int64     `json:"inputTokens"`
	OutputTokens       int64     `json:"outputTokens"`
	Messages           int64     `json:"messages"`
	EventCount         int64     `json:"eventCount"`
	PendingPermissions int       `json:"pendingPermissions"`
	// RunID is the run in progress, if any.
	RunID string `json:"runId,omitempty"`
	// AgentSessionID is the agent's own id of the conversation (what a
	// resume passes back to the CLI).
	AgentSessionID string `json:"agentSessionId,omitempty"`
	// ApprovalsSkipped is true when the session's permission mode runs
	// tools without asking (bypassPermissions, yolo, never, ...; allowed
	// only with the agent's allow_unsafe_modes). The UI marks the session.
	ApprovalsSkipped bool `json:"approvalsSkipped,omitempty"`
	// Pinned and Archived are the user's (PinSession, ArchiveSession);
	// Project is the git repository root of Cwd, else Cwd (the list groups
	// sessions by it).
	Pinned   bool   `json:"pinned,omitempty"`
	Archived bool   `json:"archived,omitempty"`
	Project  string `json:"project,omitempty"`
	// Imported is set on a session ImportSession made of a conversation
	// an agent CLI kept in its own files.
	Imported *Imported `json:"imported,omitempty"`
	// Runner is the fleet runner that owns the session, on a hub that
	// lists a runner's session from its replica (fleet/relay); "" for a
	// session of this corral.
	Runner string `json:"runner,omitempty"`
	// ResetAt is when the limit of a rate_limited session resets;
	// AutoResume is the session's auto-resume setting and ResumePending
	// says the session resumes by itself at ResetAt. The API fills them
	// from the limit scheduler (package schedule) while the session is
	// rate_limited.
	ResetAt       time.Time `json:"resetAt,omitzero"`
	AutoResume    *bool     `json:"autoResume,omitempty"`
	ResumePending bool      `json:"resumePending,omitempty"`
	// Process is the session's live agent process, nil when it holds none
	// (a per-turn agent between turns, an idle agent that was stopped).
	Process *LiveProcess `json:"process,omitempty"`
	// Workspace is the session's worktree (isolation "worktree"), absent
	// for a session that runs in its directory.
	Workspace *WorkspaceInfo `json:"workspace,omitempty"`
	// CanFork: ForkSession works for the session's agent.
	CanFork bool `json:"canFork,omitempty"`
}

// LiveProcess is the live agent process of a session as the session list
// shows it: what an idle agent costs the machine.
type LiveProcess struct {
	ID    string `json:"id"`
	Pid   int    `json:"pid,omitempty"`
	State string `json:"state"`
	// RSS is the resident memory of its whole process tree in bytes, and
	// CPUPercent its CPU since the previous sample (both 0 before the
	// first sample).
	RSS        uint64  `json:"rss"`
	CPUPercent float64 `json:"cpuPercent"`
}

// AgentInfo describes one configured or known agent CLI (ListAgents).
type AgentInfo struct {
	Name            string   `json:"name"`
	DisplayName     string   `json:"displayName,omitempty"`
	Command         string   `json:"command"`
	Protocol        string   `json:"protocol"`
	Path            string   `json:"path,omitempty"`
	Version         string   `json:"version,omitempty"`
	Status          string   `json:"status"` // ok | missing | error
	Install         string   `json:"install,omitempty"`
	Message         string   `json:"message,omitempty"`
	PermissionModes []string `json:"permissionModes,omitempty"`
	// Capabilities say what the composer can do with this agent
	// (attachments, slash commands).
	Capabilities agent.Capabilities `json:"capabilities"`
	// CanFork: the agent can continue a conversation as a new one from
	// an earlier turn (ForkSession).
	CanFork bool `json:"canFork,omitempty"`
}

// CreateOptions are the parameters of a new session.
type CreateOptions struct {
	Agent          string
	Cwd            string
	Model          string
	PermissionMode string
	// Prompt, when set, is sent as the first message right after start.
	Prompt string
	// Isolation is "worktree", "none" or "" (the configured default:
	// a worktree for a git repository, none otherwise). BaseRef is the
	// worktree's start (default: the repository's HEAD).
	Isolation string
	BaseRef   string
	// workspace is the worktree a resumed or forked session takes over.
	workspace *workspace.Workspace
	// meta is what the new record's meta starts with; fork is the
	// checkpoint a forked session's worktree starts from.
	meta sessionMeta
	fork *forkSource
	// Budget, when set, is the session's own caps (SetBudget), stored
	// before the prompt is sent.
	Budget *store.Budget
}

// Answer is a user's answer to a permission request.
type Answer struct {
	SessionID string
	RequestID string
	Allow     bool
	Message   string
	Remember  bool
	// Input replaces the tool's input when allowing (JSON); nil keeps it.
	Input []byte
	// By names who answered, for the audit trail ("user" for the UI).
	By string
}

func liveProcess(i supervise.Info) *LiveProcess {
	return &LiveProcess{ID: i.ID, Pid: i.Pid, State: string(i.State), RSS: i.Stats.RSS, CPUPercent: i.Stats.CPUPercent}
}
