package relay

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/corral-dev/corral/fleet"
)

// The wire's names are package fleet's (fleet/names.go), the one place
// that spells them.

// StreamName is the JetStream stream of the runners' session events.
const StreamName = fleet.EventsStream

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// CheckName refuses a runner name outside [a-z0-9-]{1,32}.
func CheckName(name string) error {
	if err := fleet.ValidName(name); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	return nil
}

// CheckToken refuses a session id or method name that cannot be one
// subject token. Session ids corral makes always pass.
func CheckToken(s string) error {
	if !tokenRE.MatchString(s) {
		return fmt.Errorf("relay: %q cannot be a subject token", s)
	}
	return nil
}

// EventSubject is the subject of session sid's events from runner name.
func EventSubject(name, sid string) string { return fleet.EventSubject(name, sid) }

// RPCSubject is the subject of the hub's request METHOD to runner name.
func RPCSubject(name, method string) string { return fleet.RPCSubject(name, method) }

// MsgID is the Nats-Msg-Id of an event message: NAME:SID:SEQ.
func MsgID(name, sid string, seq int64) string {
	return name + ":" + sid + ":" + strconv.FormatInt(seq, 10)
}

// parseEventSubject splits corral.events.NAME.SID (fleet.EventSubject).
func parseEventSubject(subj string) (name, sid string, ok bool) {
	parts := strings.Split(subj, ".")
	if len(parts) != 4 || fleet.EventSubject(parts[2], parts[3]) != subj {
		return "", "", false
	}
	return parts[2], parts[3], parts[2] != "" && parts[3] != ""
}
