package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/corral-dev/corral/push"
	"github.com/corral-dev/corral/session"
)

// startPush starts Web Push over rt: the VAPID keys from dataDir (made at
// the first start), the subscriptions in the store, and a reader of the
// bus that turns session events into pushes. It returns nil (push off,
// logged) when the keys cannot be had.
func startPush(ctx context.Context, rt *session.Runtime, dataDir string, log *slog.Logger) *push.Service {
	keys, err := push.LoadOrCreateKeys(dataDir)
	if err != nil {
		log.Warn("push notifications are off", "err", err)
		return nil
	}
	svc, err := push.New(push.Options{Keys: keys, Store: rt.Store, Log: log, Name: sessionName(rt.Manager)})
	if err != nil {
		log.Warn("push notifications are off", "err", err)
		return nil
	}
	if err := svc.Watch(ctx, rt.Bus); err != nil {
		svc.Close()
		log.Warn("push notifications are off", "err", err)
		return nil
	}
	return svc
}

// sessionName names a session in a notification: its title, else the
// last element of its directory.
func sessionName(m *session.Manager) func(ctx context.Context, id string) string {
	return func(ctx context.Context, id string) string {
		in, err := m.Get(ctx, id)
		switch {
		case err != nil:
			return ""
		case in.Title != "":
			return in.Title
		case in.Cwd != "":
			return filepath.Base(in.Cwd)
		}
		return ""
	}
}
