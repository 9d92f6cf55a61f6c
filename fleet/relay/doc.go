// Package relay carries sessions between a fleet runner and its hub over
// NATS JetStream: the runner's committed events to the hub's store and bus
// (Publisher → stream CORRAL_EVENTS → Consumer), and the hub's method calls
// to the runner (Client → ServeRPC). The subjects and payloads are the
// fleet wire contract (docs/fleet-relay.md):
//
//	corral.events.NAME.SID         one message per committed event, the store's
//	                               event JSON, header Nats-Msg-Id NAME:SID:SEQ
//	corral.fleet.NAME.rpc.METHOD   request: the method's JSON params;
//	                               reply {"result": …} or {"error": {code, message, details}}
//
// # What is durable where
//
//   - An event is committed to the runner's store first (its seq assigned
//     there); only then does the Publisher read it back from that store
//     and publish it. The runner's store is the source of truth.
//   - The Publisher keeps its position in the runner's store (table
//     replica_marks and meta key replica_cursor, store.ReplicaMarks): the
//     highest seq per session acknowledged by JetStream, and the cursor at
//     or below which every event was acknowledged. Marks are written at
//     most every Options.MarkEvery and at Close, so they may lag the acks;
//     what they lag is published again after a restart (see below).
//   - Once JetStream acknowledged a message, it is in CORRAL_EVENTS (file
//     storage on the hub) until the Consumer acknowledges it.
//   - The Consumer commits each event to the hub's store with
//     store.AppendReplicatedGroups (a batch of several runners' events in
//     one transaction), keeping the runner's seq, and acknowledges
//     the message only after that commit. The hub's store publishes the
//     committed events on the hub's bus like local ones, so SSE streams,
//     replay and Last-Event-ID work unchanged for a replicated session.
//
// # Guarantees
//
// No loss: an event leaves the runner's watermark only once JetStream
// acknowledged it, and leaves the stream only once the hub committed it;
// any failure in between (NATS unreachable, server restart, hub or runner
// restart, a publish or ack lost) makes the Publisher rewind to its last
// acknowledged position and publish again, or JetStream redeliver.
//
// No duplicate: the hub stores an event only if its seq is above the
// session's last stored seq (store.ReplicaDuplicate otherwise); JetStream's
// duplicate window (Nats-Msg-Id) already drops most republished messages.
//
// No gap: a message carries Corral-Prev, the seq the runner published
// before it in the same session. An event that arrives before its
// predecessor (a republished run after a lost one) is not stored but
// negatively acknowledged with a delay, and stored in order once the
// predecessor is. A gap is stored and reported (Consumer.Stats().Gaps,
// Options.OnGap) only when the runner itself no longer had the events
// (its retention trimmed them before they could be published).
//
// While NATS is unreachable the runner's sessions go on: events are
// committed locally, the Publisher waits, and on reconnect it catches up
// from its watermark, reading the store page by page, so its memory is
// bounded by the publish window, not by the length of the outage.
//
// The session record travels with the events: the first message of each
// session after a (re)start of publishing, and every event that changes
// the record (status, title, options, usage, run start and end), carry the
// runner's record in header Corral-Session; the hub stores it with
// Session.Runner set to the runner's name, so the hub's ListSessions lists
// replicated sessions with their owner.
//
// Method calls: ServeRPC answers each request by calling the runner's
// facade (api.Method.Call, as POST /api/call/METHOD does); Client turns the
// reply back into the same *api.Error, codes unchanged, and an unreachable
// runner into code runner_offline. HubRouter plugs the Client into the
// hub's facade (api.WithRouter) so that every session method of a session
// owned by a runner goes to that runner; GetEvents is served from the
// hub's replica.
package relay
