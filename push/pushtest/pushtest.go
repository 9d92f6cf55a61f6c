// Package pushtest is a push service for tests: an HTTP endpoint that
// plays the browser's part of RFC 8291 (it holds the subscription's P-256
// key pair and auth secret and decrypts every message itself, with the
// standard library only) and checks the VAPID header of RFC 8292.
package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"
)

// Browser is the user agent's side of one subscription.
type Browser struct {
	priv *ecdh.PrivateKey
	auth []byte
}

// NewBrowser makes a fresh key pair and auth secret.
func NewBrowser() *Browser {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &Browser{priv: priv, auth: auth}
}

// P256dh and Auth are the subscription's keys as a browser sends them.
func (b *Browser) P256dh() string {
	return base64.RawURLEncoding.EncodeToString(b.priv.PublicKey().Bytes())
}
func (b *Browser) Auth() string { return base64.RawURLEncoding.EncodeToString(b.auth) }

// Decrypt opens an aes128gcm body (RFC 8188 with the RFC 8291 key
// derivation) of a single record and strips its padding.
func (b *Browser) Decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen {
		return nil, errors.New("body shorter than its key id")
	}
	asPub, ct := body[21:21+idlen], body[21+idlen:]
	if rs < 18 || len(ct) > int(rs) {
		return nil, fmt.Errorf("record size %d with %d bytes of ciphertext: not one record", rs, len(ct))
	}
	as, err := ecdh.P256().NewPublicKey(asPub)
	if err != nil {
		return nil, fmt.Errorf("key id: %w", err)
	}
	shared, err := b.priv.ECDH(as)
	if err != nil {
		return nil, err
	}
	keyInfo := append(append([]byte("WebPush: info\x00"), b.priv.PublicKey().Bytes()...), asPub...)
	ikm, err := hkdf.Key(sha256.New, shared, b.auth, string(keyInfo), 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	// The last record ends with 0x02 followed by zero or more zeros.
	i := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if i < 0 || plain[i] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:i], nil
}

// Push is one message the endpoint received.
type Push struct {
	At      time.Time
	Header  http.Header
	Payload []byte // decrypted
	Err     error  // why it could not be decrypted or its VAPID header is wrong
}

// Endpoint is a push service with one subscription.
type Endpoint struct {
	*httptest.Server
	Browser *Browser
	// VAPIDKey is the server's public key the VAPID header must carry.
	VAPIDKey string
	// Received gets every request (buffered: 4096).
	Received chan Push
	status   atomic.Int32
}

// NewEndpoint starts an endpoint that answers 201 Created until
// SetStatus. Close it when done.
func NewEndpoint(vapidKey string) *Endpoint {
	e := &Endpoint{Browser: NewBrowser(), VAPIDKey: vapidKey, Received: make(chan Push, 4096)}
	e.status.Store(http.StatusCreated)
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	return e
}

// SetStatus sets the status of the answers that follow (410: the
// subscription is gone).
func (e *Endpoint) SetStatus(code int) { e.status.Store(int32(code)) }

// URL is the subscription's endpoint.
func (e *Endpoint) URL() string { return e.Server.URL + "/push/sub1" }

func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	p := Push{At: time.Now(), Header: r.Header.Clone(), Err: err}
	if err == nil {
		p.Err = e.check(r)
	}
	if p.Err == nil {
		p.Payload, p.Err = e.Browser.Decrypt(body)
	}
	w.WriteHeader(int(e.status.Load()))
	e.Received <- p
}

// check verifies the request's headers: POST, aes128gcm, a TTL, and a
// VAPID authorization whose key is VAPIDKey and whose ES256 JWT verifies
// with it for this endpoint's origin.
func (e *Endpoint) check(r *http.Request) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("method %s", r.Method)
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		return fmt.Errorf("Content-Encoding %q", ce)
	}
	if r.Header.Get("TTL") == "" {
		return errors.New("no TTL")
	}
	auth := r.Header.Get("Authorization")
	var jwt, k string
	for _, part := range strings.Split(strings.TrimPrefix(auth, "vapid "), ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			jwt = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	if !strings.HasPrefix(auth, "vapid ") || k != e.VAPIDKey {
		return fmt.Errorf("authorization %q: want vapid with k=%s", auth, e.VAPIDKey)
	}
	return verifyJWT(jwt, k, e.Server.URL)
}

func verifyJWT(jwt, key, aud string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("JWT: not three parts")
	}
	pub, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(pub) != 65 {
		return errors.New("VAPID key: not a P-256 point")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return errors.New("JWT: signature not 64 bytes")
	}
	pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
	if err != nil {
		return fmt.Errorf("VAPID key: %w", err)
	}
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pk, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("JWT: signature does not verify")
	}
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(claims, &c); err != nil {
		return err
	}
	if c.Aud != aud || c.Sub == "" || c.Exp < time.Now().Unix() {
		return fmt.Errorf("JWT claims %+v: want aud %s, a sub and a future exp", c, aud)
	}
	return nil
}
