// Package push sends Web Push notifications (RFC 8030 delivery, RFC 8291
// message encryption, RFC 8292 VAPID) for session events to the browsers
// that subscribed: a permission request, a finished or failed turn, a
// rate limit and its resume, a budget notice. It keeps the server's VAPID
// key pair in the data directory, validates and stores subscriptions per
// device (through the store), and sends from a bounded queue drained by
// one worker, so a slow or unreachable push service never holds up a
// session. docs/remote-push.md describes the whole path.
package push

import (
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// KeyFile is the name of the VAPID key pair's file in the data directory
// (mode 0600).
const KeyFile = "vapid.json"

// Keys is the server's VAPID key pair, base64url without padding: the
// uncompressed P-256 public point (65 bytes, the applicationServerKey a
// browser subscribes with) and the private scalar (32 bytes).
type Keys struct {
	PublicKey  string `json:"publicKey"`
	PrivateKey string `json:"privateKey"`
}

// KeyError says that the key file exists but cannot be used.
type KeyError struct {
	Path string
	Err  error
}

func (e *KeyError) Error() string { return fmt.Sprintf("push: VAPID keys in %s: %v", e.Path, e.Err) }
func (e *KeyError) Unwrap() error { return e.Err }

// LoadOrCreateKeys returns the key pair stored in dir, generating and
// storing a new one (mode 0600, created exclusively) when there is none.
// A file that exists but does not hold a valid pair is a *KeyError: it is
// never replaced, since every subscription is bound to the old public key.
func LoadOrCreateKeys(dir string) (Keys, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var k Keys
		if err := json.Unmarshal(b, &k); err != nil {
			return Keys{}, &KeyError{Path: path, Err: err}
		}
		if err := k.Valid(); err != nil {
			return Keys{}, &KeyError{Path: path, Err: err}
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Keys{}, &KeyError{Path: path, Err: err}
	}
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return Keys{}, err
	}
	k := Keys{PublicKey: pub, PrivateKey: priv}
	b, _ = json.Marshal(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKeys(dir) // another start wrote it first
	}
	if err != nil {
		return Keys{}, &KeyError{Path: path, Err: err}
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return Keys{}, &KeyError{Path: path, Err: err}
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return Keys{}, &KeyError{Path: path, Err: err}
	}
	return k, nil
}

// Valid checks that the private key is a P-256 scalar whose public point
// is PublicKey.
func (k Keys) Valid() error {
	priv, err := base64.RawURLEncoding.DecodeString(k.PrivateKey)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	pk, err := ecdh.P256().NewPrivateKey(leftPad(priv, 32))
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	if base64.RawURLEncoding.EncodeToString(pk.PublicKey().Bytes()) != k.PublicKey {
		return errors.New("the public key does not match the private key")
	}
	return nil
}

// leftPad returns b with leading zeros up to n bytes (a scalar's encoding
// may drop them).
func leftPad(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	return append(make([]byte, n-len(b)), b...)
}
