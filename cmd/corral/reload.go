package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/session"
)

// configPollInterval is how often `corral serve` looks at the
// configuration file for a change.
const configPollInterval = 2 * time.Second

// fileStamp identifies a version of a file: its modification time and
// size, or absent.
type fileStamp struct {
	mod    time.Time
	size   int64
	exists bool
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), exists: true}
}

// watchConfig reloads the configuration when its file changes (polled:
// no file-watching dependency, and editors that replace the file are seen
// alike) and when hup delivers (SIGHUP on Unix; nil elsewhere), until ctx
// ends. path "" means the default path. Each reload is logged with what
// it applied or why it failed.
func watchConfig(ctx context.Context, path string, rt *session.Runtime, hup <-chan os.Signal, log *slog.Logger) {
	if path == "" {
		path, _ = config.DefaultPath()
	}
	last := stampOf(path)
	t := time.NewTicker(configPollInterval)
	defer t.Stop()
	reload := func(why string) {
		res, err := rt.Reload()
		if err != nil {
			log.Warn("configuration not reloaded", "why", why, "err", err)
			return
		}
		log.Info("configuration reloaded", "why", why, "path", res.Path, "applied", res.Applied, "restartNeeded", res.RestartNeeded)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			last = stampOf(path)
			reload("SIGHUP")
		case <-t.C:
			if path == "" {
				continue
			}
			if s := stampOf(path); s != last {
				last = s
				reload("file changed")
			}
		}
	}
}
