// Package fleet lets one corral (the hub) see and use the agents of other
// machines (the runners) over NATS with JetStream.
//
// The hub is `corral serve --fleet`: it embeds a NATS server (or connects to
// an existing cluster with --nats), keeps the operator and account signing
// keys that mint each runner's credentials (Keyring), and keeps a registry of
// runners from their heartbeats (Hub, Registry). A runner is `corral runner`:
// it dials out to the hub only, reconnects forever, and publishes a heartbeat
// every few seconds (RunnerConn). Placement (Place) picks the runner of a new
// session. The wire contract (subjects, bodies, permissions) is in
// docs/fleet.md; the relay of sessions' commands and events (fleet/relay)
// builds on the connections this package opens.
package fleet

import (
	"fmt"
	"regexp"
)

// Subjects, buckets and streams of the wire contract (docs/fleet.md).
const (
	// RunnersBucket is the JetStream key-value bucket of the registry: key
	// NAME, value the runner's last Heartbeat as the hub received it.
	RunnersBucket = "corral_runners"
	// EventsStream is the JetStream stream of runners' session events,
	// subjects EventsWildcard (created by the relay).
	EventsStream = "CORRAL_EVENTS"
	// EventsWildcard matches every runner's event subjects (EventSubject).
	EventsWildcard = "corral.events.>"
	// HubConsumer is the hub's durable consumer on EventsStream.
	HubConsumer = "corral-hub"
	// AccountName is the NATS account every corral connection lives in.
	AccountName = "CORRAL"
)

var nameRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// ErrInvalidName is returned for a runner name outside [a-z0-9-]{1,32}.
type ErrInvalidName struct{ Name string }

func (e *ErrInvalidName) Error() string {
	return fmt.Sprintf("invalid runner name %q: use 1 to 32 of a-z, 0-9 and -", e.Name)
}

// ValidName returns *ErrInvalidName unless name matches [a-z0-9-]{1,32}.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return &ErrInvalidName{Name: name}
	}
	return nil
}

// RPCSubject is the subject of the hub's request METHOD to runner name.
func RPCSubject(name, method string) string { return "corral.fleet." + name + ".rpc." + method }

// HeartbeatSubject is the subject runner name publishes its heartbeats on.
func HeartbeatSubject(name string) string { return "corral.fleet." + name + ".hb" }

// EventSubject is the subject of session sid's events from runner name.
func EventSubject(name, sid string) string { return "corral.events." + name + "." + sid }

// InboxPrefix is runner name's reply inbox prefix (nats.CustomInboxPrefix).
func InboxPrefix(name string) string { return "_INBOX_" + name }

// heartbeatWildcard matches every runner's heartbeat subject.
const heartbeatWildcard = "corral.fleet.*.hb"

// RunnerPermissions are the subjects runner name's credentials may publish
// to and subscribe to: its own subjects, the JetStream API calls that
// publishing to CORRAL_EVENTS needs, and replies to requests it received
// (allow_responses); nothing of another runner.
func RunnerPermissions(name string) (pub, sub []string) {
	pub = []string{
		"corral.fleet." + name + ".>",
		"corral.events." + name + ".>",
		"$JS.API.INFO",
		"$JS.API.STREAM.INFO." + EventsStream,
		InboxPrefix(name) + ".>",
	}
	sub = []string{
		"corral.fleet." + name + ".rpc.>",
		InboxPrefix(name) + ".>",
	}
	return pub, sub
}
