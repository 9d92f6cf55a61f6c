package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/corral-dev/corral/event"
)

// notification is one native desktop notification.
type notification struct {
	ID    string // stable per subject, so the system can replace a repeat
	Title string
	Body  string
}

// notificationFor decides whether ev deserves a native notification: a
// session rate-limited or resumed (limitNotificationFor), a run
// that finished (a turn completed or a process exited on its own, failed,
// crashed or timed out) or a permission request waiting for the user. Key
// is what de-duplicates: a run that reports both turn.completed and
// run.exited notifies once. Runs stopped on request are not announced (the
// user just did it).
func notificationFor(ev event.Event) (n notification, key string, ok bool) {
	if n, key, ok := limitNotificationFor(ev); ok {
		return n, key, true
	}
	switch ev.Kind {
	case event.PermissionRequest:
		var d struct {
			RequestID   string `json:"requestId"`
			Tool        string `json:"tool"`
			Description string `json:"description"`
		}
		if json.Unmarshal(ev.Data, &d) != nil || d.RequestID == "" {
			return n, "", false
		}
		body := d.Tool
		if d.Description != "" {
			body = fmt.Sprintf("%s: %s", d.Tool, d.Description)
		}
		if body == "" {
			body = "An agent asks for permission."
		}
		key = "perm:" + d.RequestID
		return notification{ID: key, Title: "Approval needed" + sessionSuffix(ev), Body: clip(body)}, key, true

	case event.TurnCompleted:
		var d struct {
			OK     bool   `json:"ok"`
			Result string `json:"result"`
			Error  *struct {
				Message string `json:"message"`
				Code    string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(ev.Data, &d) != nil {
			return n, "", false
		}
		key = runKey(ev)
		if d.OK {
			body := d.Result
			if body == "" {
				body = "The agent finished its turn."
			}
			return notification{ID: key, Title: "Run finished" + sessionSuffix(ev), Body: clip(body)}, key, true
		}
		body := "The turn did not complete."
		if d.Error != nil && (d.Error.Message != "" || d.Error.Code != "") {
			body = strings.TrimSpace(d.Error.Code + ": " + d.Error.Message)
		}
		return notification{ID: key, Title: "Run failed" + sessionSuffix(ev), Body: clip(body)}, key, true

	case event.RunExited:
		// Two producers, two shapes: the supervisor's result
		// {reason, code, signalName, error} and the store's run end
		// {reason, exitCode, signal}.
		var d struct {
			Reason     string `json:"reason"`
			Code       *int   `json:"code"`
			ExitCode   *int   `json:"exitCode"`
			Signal     any    `json:"signal"`
			SignalName string `json:"signalName"`
			Error      string `json:"error"`
			Limit      string `json:"limit"`
		}
		if json.Unmarshal(ev.Data, &d) != nil {
			return n, "", false
		}
		code := d.ExitCode
		if code == nil {
			code = d.Code
		}
		key = runKey(ev)
		var title, body string
		switch d.Reason {
		case "killed", "corral restarted":
			return n, "", false
		case "exit", "":
			if code != nil && *code != 0 {
				title, body = "Run failed", fmt.Sprintf("Exited with code %d.", *code)
			} else {
				title, body = "Run finished", "Exited successfully."
			}
		case "crashed":
			sig := d.SignalName
			if sig == "" && d.Signal != nil {
				sig = fmt.Sprint(d.Signal)
			}
			title, body = "Run crashed", "Ended by signal "+sig+"."
		case "spawn-failed":
			title, body = "Run could not start", d.Error
		case "timeout", "idle-timeout":
			title, body = "Run timed out", "Stopped by the "+strings.TrimSpace(d.Limit+" time limit.")
		default:
			title, body = "Run ended", d.Reason
		}
		return notification{ID: key, Title: title + sessionSuffix(ev), Body: clip(body)}, key, true
	}
	return n, "", false
}

func runKey(ev event.Event) string {
	switch {
	case ev.RunID != "":
		return "run:" + ev.RunID
	case ev.ProcessID != "":
		return "proc:" + ev.ProcessID
	default:
		return fmt.Sprintf("session:%s:%d", ev.SessionID, ev.Seq)
	}
}

func sessionSuffix(ev event.Event) string {
	if ev.SessionID == "" {
		return ""
	}
	id := ev.SessionID
	if len(id) > 8 {
		id = id[:8]
	}
	return " · session " + id
}

// clip shortens a notification body to what a notification shows.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 160
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// notifier sends at most one notification per key. It remembers the last
// keyCap keys, which is enough: a run's duplicate events arrive together.
type notifier struct {
	send func(notification) error
	seen map[string]bool
	ring []string
	next int
}

const keyCap = 512

func newNotifier(send func(notification) error) *notifier {
	return &notifier{send: send, seen: make(map[string]bool, keyCap), ring: make([]string, keyCap)}
}

// observe looks at one event and sends its notification, if any. It is
// called from one goroutine (the event bridge).
func (n *notifier) observe(ev event.Event) error {
	nt, key, ok := notificationFor(ev)
	if !ok || n.seen[key] {
		return nil
	}
	if old := n.ring[n.next]; old != "" {
		delete(n.seen, old)
	}
	n.ring[n.next] = key
	n.next = (n.next + 1) % keyCap
	n.seen[key] = true
	return n.send(nt)
}
