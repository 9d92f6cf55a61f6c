package event

// Kinds of the events of a session's message queue (messages sent while a
// turn runs wait there; see docs/api.md, "Queued messages"). The store
// writes the first four in the transaction that changes the queue; the
// session layer appends the last two.
const (
	QueueAdded     = "queue.added"     // a message was queued: {messageId, text, position}
	QueueEdited    = "queue.edited"    // a queued message's text changed: {messageId, text}
	QueueCancelled = "queue.cancelled" // a queued message was removed unsent: {messageId}
	QueueSent      = "queue.sent"      // a queued message left the queue for the agent: {messageId, runId, steered?}
	QueuePaused    = "queue.paused"    // the queue stopped sending: {reason}
	QueueResumed   = "queue.resumed"   // the queue sends again
)
