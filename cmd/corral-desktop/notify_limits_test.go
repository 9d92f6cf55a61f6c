package main

import (
	"strings"
	"testing"

	"github.com/corral-dev/corral/event"
)

func TestLimitNotifications(t *testing.T) {
	n, key, ok := notificationFor(ev(event.SessionRateLimited, "", `{"sessionId":"s","resetAt":"2026-12-06T10:05:00Z","armed":true}`))
	if !ok || !strings.HasPrefix(n.Title, "Rate-limited") || !strings.HasPrefix(n.Body, "Resumes by itself at ") || key == "" {
		t.Fatalf("rate limited: %+v %q %v", n, key, ok)
	}
	n, _, ok = notificationFor(ev(event.SessionRateLimited, "", `{"sessionId":"s","resetAt":"2026-12-06T10:05:00Z","armed":false}`))
	if !ok || !strings.HasPrefix(n.Body, "The limit resets at ") {
		t.Fatalf("rate limited, not armed: %+v %v", n, ok)
	}
	n, key, ok = notificationFor(ev(event.SessionResumed, "", `{"by":"timer","runId":"r9"}`))
	if !ok || !strings.HasPrefix(n.Title, "Resumed") || key != "resumed:r9" {
		t.Fatalf("resumed: %+v %q %v", n, key, ok)
	}
	if _, _, ok := notificationFor(ev(event.SessionResumeScheduled, "", `{}`)); ok {
		t.Fatal("a resume scheduled notifies")
	}
}
