package push

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/corral-dev/corral/event"
)

// Kinds of pushed events, the same switches as the web app's notification
// settings (web/src/lib/notifyprefs.ts).
const (
	KindPermission  = "permission"   // permission.request
	KindDone        = "done"         // a turn's run.exited that ended normally
	KindError       = "error"        // a turn's run.exited that did not
	KindRateLimited = "rate_limited" // session.rate_limited
	KindResumed     = "resumed"      // session.resumed
	KindBudget      = "budget"       // budget.notice
)

// Kinds lists every kind, in the order the settings show them.
var Kinds = []string{KindPermission, KindDone, KindError, KindRateLimited, KindResumed, KindBudget}

// Message is the JSON payload of one push: small (a push service caps a
// payload at about 4 KB; the text fields are cut to MaxText), enough for
// the service worker to show a notification, open the session and answer
// a permission request (RequestID).
type Message struct {
	Kind      string `json:"kind"`
	SessionID string `json:"sessionId"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	RequestID string `json:"requestId,omitempty"`
}

// MaxText is the longest Title or Body of a Message, in characters.
const MaxText = 160

// Urgency is the push's Urgency header (RFC 8030 §5.3): high for a
// permission request, which holds up the agent, normal for the rest.
func (m Message) Urgency() string {
	if m.Kind == KindPermission {
		return "high"
	}
	return "normal"
}

// MessageFor is the push an event raises, if any (ok false: none). name
// is how the session is called (its title, else its directory).
func MessageFor(ev event.Event, name string) (m Message, ok bool) {
	if ev.SessionID == "" {
		return Message{}, false
	}
	if name == "" {
		name = ev.SessionID
	}
	var d struct {
		RequestID   string  `json:"requestId"`
		Tool        string  `json:"tool"`
		Reason      string  `json:"reason"`
		Level       string  `json:"level"`
		Scope       string  `json:"scope"`
		Fraction    float64 `json:"fraction"`
		Interrupted bool    `json:"interrupted"`
	}
	_ = json.Unmarshal(ev.Data, &d) // a field that does not decode stays empty
	m = Message{SessionID: ev.SessionID}
	switch {
	case ev.Kind == event.PermissionRequest:
		tool := d.Tool
		if tool == "" {
			tool = "A tool"
		}
		m.Kind, m.Title, m.Body, m.RequestID = KindPermission, "Approval needed", tool+" in "+name, d.RequestID
	case ev.Kind == event.RunExited && ev.ProcessID == "":
		if d.Reason == "" || d.Reason == "exit" {
			m.Kind, m.Title, m.Body = KindDone, "Turn done", name
		} else {
			m.Kind, m.Title, m.Body = KindError, "Run "+d.Reason, name
		}
	case ev.Kind == event.SessionRateLimited:
		m.Kind, m.Title, m.Body = KindRateLimited, "Rate-limited", name
	case ev.Kind == event.SessionResumed:
		m.Kind, m.Title, m.Body = KindResumed, "Resumed", name+" resumed after its rate limit"
	case ev.Kind == event.BudgetNotice:
		m.Kind, m.Title = KindBudget, "Budget reached"
		if d.Level == "warning" {
			m.Title = "Budget warning"
		}
		m.Body = fmt.Sprintf("%s: %.0f %% of the %s budget", name, d.Fraction*100, d.Scope)
		if d.Interrupted {
			m.Body += "; the turn was interrupted"
		}
	default:
		return Message{}, false
	}
	m.Title, m.Body = cut(m.Title), cut(m.Body)
	return m, true
}

// Wants reports whether a device whose choice is events (nil: every kind)
// wants kind pushed.
func Wants(events []string, kind string) bool {
	if events == nil {
		return true
	}
	for _, e := range events {
		if e == kind {
			return true
		}
	}
	return false
}

// CleanEvents checks a device's choice of kinds and returns it without
// duplicates, in the order of Kinds; nil stays nil (every kind).
func CleanEvents(events []string) ([]string, error) {
	if events == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, e := range events {
		if !Wants(Kinds, e) {
			return nil, &InvalidError{Field: "events", Reason: fmt.Sprintf("unknown event kind %q (known: %s)", e, strings.Join(Kinds, ", "))}
		}
		seen[e] = true
	}
	out := []string{}
	for _, k := range Kinds {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

func cut(s string) string {
	if utf8.RuneCountInString(s) <= MaxText {
		return s
	}
	r := []rune(s)
	return string(r[:MaxText-1]) + "…"
}
