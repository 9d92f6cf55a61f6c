package push

import (
	"crypto/ecdh"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Subscription is a browser's PushSubscription as its toJSON() gives it.
type Subscription struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// InvalidError says that a subscription or a choice of events was refused
// (the API answers invalid_argument).
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return "push: " + e.Field + ": " + e.Reason }

// MaxEndpoint is the longest endpoint URL accepted, in bytes.
const MaxEndpoint = 2048

// Validate checks a subscription: an absolute https endpoint (http only to
// a loopback address: a push service on this machine), a p256dh key that
// is an uncompressed P-256 point and a 16-byte auth secret, both
// base64url (padding optional).
func (s Subscription) Validate() error {
	if err := validEndpoint(s.Endpoint); err != nil {
		return err
	}
	pub, err := decodeKey(s.Keys.P256dh)
	if err != nil {
		return &InvalidError{Field: "keys.p256dh", Reason: err.Error()}
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil || len(pub) != 65 {
		return &InvalidError{Field: "keys.p256dh", Reason: "not an uncompressed P-256 public key"}
	}
	auth, err := decodeKey(s.Keys.Auth)
	if err != nil {
		return &InvalidError{Field: "keys.auth", Reason: err.Error()}
	}
	if len(auth) != 16 {
		return &InvalidError{Field: "keys.auth", Reason: fmt.Sprintf("%d bytes, want 16", len(auth))}
	}
	return nil
}

func validEndpoint(e string) error {
	bad := func(r string) error { return &InvalidError{Field: "endpoint", Reason: r} }
	if e == "" {
		return bad("is required")
	}
	if len(e) > MaxEndpoint {
		return bad(fmt.Sprintf("longer than %d bytes", MaxEndpoint))
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" || u.User != nil {
		return bad("not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || strings.EqualFold(u.Hostname(), "localhost") {
			return nil
		}
	}
	return bad("must be an https URL")
}

// decodeKey decodes base64url with or without padding (browsers differ).
func decodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
