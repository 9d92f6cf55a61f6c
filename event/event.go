// Package event defines the one event shape that flows from a child process to
// the UI: every layer (proc output, agent adapters, sessions, the supervisor,
// the store and both transports) speaks in Event values.
//
// An Event is normalized: Kind says what happened and Data carries a small
// JSON object whose fields depend on Kind. When the event was decoded from a
// line an agent CLI printed, Raw holds that original line unchanged, so nothing
// an agent said is ever lost even when corral does not understand it.
package event

import (
	"encoding/json"
	"time"
)

// Event is one normalized event.
//
// Seq is assigned by the store when the event is appended: it is strictly
// increasing per session (or per process for events that belong to no
// session) and a client that reconnects with its last Seq receives every
// later event exactly once.
type Event struct {
	Seq       int64           `json:"seq"`
	Cursor    int64           `json:"cursor,omitempty"` // store-wide commit order, assigned with Seq; the resume point of a subscription spanning sessions (see docs/store.md)
	SessionID string          `json:"sessionId,omitempty"`
	RunID     string          `json:"runId,omitempty"`
	ProcessID string          `json:"processId,omitempty"`
	Time      time.Time       `json:"time"`
	Kind      string          `json:"kind"`
	Data      json.RawMessage `json:"data,omitempty"`
	// Raw is the agent's original JSON line when the event was decoded from
	// one. It is always valid JSON; non-JSON output travels in Data instead.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Payload is the typed value Data encodes (agent's *Data types), set
	// by an agent adapter that made Data, so that its consumer in the same
	// process need not decode Data again. It is never stored nor sent: an
	// event read back or received has none.
	Payload any `json:"-"`
}

// Kinds of events. Agent adapters, the session layer and the supervisor use
// these names; a transport forwards Kind as the SSE event name.
const (
	SessionStatus      = "session.status"
	SessionUpdated     = "session.updated" // a session's record changed other than by its status: its title
	SessionOptions     = "session.options" // a session's model or permission mode was changed, and when it takes effect
	RunStarted         = "run.started"
	RunExited          = "run.exited" // the one terminal event of a run
	AssistantText      = "assistant.text"
	AssistantThinking  = "assistant.thinking"
	ToolCall           = "tool.call"
	ToolResult         = "tool.result"
	PermissionRequest  = "permission.request"
	PermissionResolved = "permission.resolved"
	Usage              = "usage"
	Stdout             = "stdout" // a non-JSON stdout line
	Stderr             = "stderr"
	ParseError         = "parse.error"
	OutputTruncated    = "output.truncated"
	ProcessState       = "process.state"
	ProcessStats       = "process.stats"
	AgentOther         = "agent.other"    // an agent message corral does not map
	AgentInit          = "agent.init"     // an agent process is ready: its session id, model, version
	AgentStatus        = "agent.status"   // an agent reports what it is doing (requesting, compacting, mode change)
	AgentRetry         = "agent.retry"    // an agent retries a failed model API call
	AgentCommands      = "agent.commands" // an agent lists its slash commands (ACP available_commands_update)
	TurnCompleted      = "turn.completed" // a turn ended: ok, interrupted or failed, from the agent's own report
	ErrorKind          = "error"
	PolicyDecision     = "policy.decision"
	Trimmed            = "store.trimmed"
	EventsLost         = "events.lost" // events of the stream that the store could not write (disk full), counted
	SubscriberDropped  = "bus.dropped"
	UsageProgress      = "usage.progress"    // a turn's running token count while it streams (Claude's per-message usage)
	BudgetNotice       = "budget.notice"     // a session's spend reached 80 % or 100 % of a budget cap
	RateLimits         = "agent.rate_limits" // the agent reported its account's rate-limit windows (used, resets)
	RunnerStatus       = "runner.status"     // a fleet hub lost a runner or has it back (system stream)
)

// New returns an event of kind with data marshalled to JSON. It panics only
// if data cannot be marshalled, which is a programming error.
func New(kind string, data any) Event {
	ev := Event{Time: time.Now(), Kind: kind}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			panic("event: cannot marshal data of " + kind + ": " + err.Error())
		}
		ev.Data = b
	}
	return ev
}
