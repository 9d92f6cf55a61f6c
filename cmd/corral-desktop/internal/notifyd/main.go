// Command notifyd is a stand-in desktop notification server for the desktop
// smoke test: it owns org.freedesktop.Notifications on the session bus it
// is started on and appends every notification it receives to a file, one
// JSON object per line, so the test can check what corral-desktop sent.
//
// Usage: notifyd FILE   (prints "ready" once the bus name is owned)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/godbus/dbus/v5"
)

const (
	name = "org.freedesktop.Notifications"
	path = "/org/freedesktop/Notifications"
)

// Received is one notification as written to the file.
type Received struct {
	ID      uint32 `json:"id"`
	App     string `json:"app"`
	Summary string `json:"summary"`
	Body    string `json:"body"`
	// Key is the sender's own id of the notification (the
	// x-notification-id hint Wails sets).
	Key string `json:"key,omitempty"`
}

type server struct {
	mu   sync.Mutex
	out  *os.File
	next uint32
}

// Notify implements the method of the freedesktop notification spec.
func (s *server) Notify(app string, replaces uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	r := Received{ID: s.next, App: app, Summary: summary, Body: body}
	if v, ok := hints["x-notification-id"]; ok {
		r.Key, _ = v.Value().(string)
	}
	b, _ := json.Marshal(r)
	if _, err := s.out.Write(append(b, '\n')); err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	return r.ID, nil
}

// GetCapabilities implements the method of the notification spec.
func (s *server) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body", "actions"}, nil
}

// GetServerInformation implements the method of the notification spec.
func (s *server) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "corral-notifyd", "corral", "1", "1.2", nil
}

// CloseNotification implements the method of the notification spec.
func (s *server) CloseNotification(id uint32) *dbus.Error { return nil }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: notifyd FILE")
		os.Exit(2)
	}
	out, err := os.OpenFile(os.Args[1], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "notifyd:", err)
		os.Exit(1)
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		fmt.Fprintln(os.Stderr, "notifyd:", err)
		os.Exit(1)
	}
	if err := conn.Export(&server{out: out}, path, name); err != nil {
		fmt.Fprintln(os.Stderr, "notifyd:", err)
		os.Exit(1)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		fmt.Fprintln(os.Stderr, "notifyd: cannot own", name, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	conn.Close()
	out.Close()
}
