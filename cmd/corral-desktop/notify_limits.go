package main

import (
	"encoding/json"
	"time"

	"github.com/corral-dev/corral/event"
)

// limitNotificationFor announces the limit scheduler's news: a session
// that became rate-limited (when it resets, and whether it resumes by
// itself then) and a session resumed after its limit. ok is false for
// any other event.
func limitNotificationFor(ev event.Event) (n notification, key string, ok bool) {
	switch ev.Kind {
	case event.SessionRateLimited:
		var d struct {
			ResetAt time.Time `json:"resetAt"`
			Armed   bool      `json:"armed"`
		}
		if json.Unmarshal(ev.Data, &d) != nil {
			return n, "", false
		}
		body := "The model API refused more turns for now."
		if !d.ResetAt.IsZero() {
			at := d.ResetAt.Local().Format("15:04")
			body = "The limit resets at " + at + "."
			if d.Armed {
				body = "Resumes by itself at " + at + "."
			}
		}
		key = "limit:" + ev.SessionID + ":" + d.ResetAt.Format(time.RFC3339)
		return notification{ID: "limit:" + ev.SessionID, Title: "Rate-limited" + sessionSuffix(ev), Body: body}, key, true
	case event.SessionResumed:
		var d struct {
			RunID string `json:"runId"`
		}
		if json.Unmarshal(ev.Data, &d) != nil {
			return n, "", false
		}
		key = "resumed:" + d.RunID
		return notification{ID: "limit:" + ev.SessionID, Title: "Resumed" + sessionSuffix(ev), Body: "The session resumed after its rate limit."}, key, true
	}
	return n, "", false
}
