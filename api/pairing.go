package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"math/big"
	"net/url"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// Pairing constants: the code, its lifetime, and the limits on guessing.
const (
	// PairingAlphabet has no letters or digits that read alike (0/O,
	// 1/I/L).
	PairingAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	PairingCodeLen  = 8
	PairingTTL      = 5 * time.Minute
	// PairingMaxFailures wrong codes lock the pairing window: the host
	// must start pairing again.
	PairingMaxFailures = 10
	// PairingSourceFailures wrong codes from one address within
	// PairingSourceWindow make that address wait until the window passes.
	PairingSourceFailures = 3
	PairingSourceWindow   = time.Minute
	// maxPairSources bounds the addresses remembered for rate limiting.
	maxPairSources = 1024
)

// pairing is the one open pairing window (at most one at a time).
type pairing struct {
	code     string
	expires  time.Time
	failures int
	sources  map[string]*sourceFailures
}

type sourceFailures struct {
	first time.Time
	n     int
}

func newPairing() pairing { return pairing{sources: map[string]*sourceFailures{}} }

// pairVerdict is the outcome of one POST /api/pair.
type pairVerdict int

const (
	pairOK        pairVerdict = iota
	pairNoWindow              // never started, or used
	pairExpired               // the code's five minutes are over
	pairLocked                // PairingMaxFailures wrong codes
	pairThrottled             // this address guessed too often
	pairWrongCode             // a wrong code (counted)
)

// decidePair is the pairing decision, a pure function of the window, the
// source's recent failures, the time and the code given; the code is
// compared in constant time. It is checked in this order: throttled
// source, no window, expired, locked, code.
func decidePair(p *pairing, src *sourceFailures, now time.Time, code string) pairVerdict {
	if src != nil && src.n >= PairingSourceFailures && now.Sub(src.first) < PairingSourceWindow {
		return pairThrottled
	}
	switch {
	case p.code == "":
		return pairNoWindow
	case !now.Before(p.expires):
		return pairExpired
	case p.failures >= PairingMaxFailures:
		return pairLocked
	}
	if subtle.ConstantTimeCompare([]byte(normalizeCode(code)), []byte(p.code)) != 1 {
		return pairWrongCode
	}
	return pairOK
}

// normalizeCode upper-cases a typed code and drops spaces and dashes.
func normalizeCode(c string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(c))
}

// newPairingCode returns PairingCodeLen characters of PairingAlphabet.
func newPairingCode() string {
	b := make([]byte, PairingCodeLen)
	max := big.NewInt(int64(len(PairingAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("api: no randomness: " + err.Error()) // crypto/rand never fails on supported OSes
		}
		b[i] = PairingAlphabet[n.Int64()]
	}
	return string(b)
}

// PairingInfo is what StartPairing returns for the host to show.
type PairingInfo struct {
	Code      string    `json:"code"`
	URL       string    `json:"url"` // the pairing page, the code in its fragment
	ExpiresAt time.Time `json:"expiresAt"`
	// QR is the URL as a QR code, a PNG data: URL.
	QR string `json:"qr,omitempty"`
	// CAFingerprint is the SHA-256 of the local CA certificate the device
	// is asked to trust, "" when the server uses its own certificate.
	CAFingerprint string `json:"caFingerprint,omitempty"`
}

type originKey struct{}

// withOrigin records the origin (scheme://host) the client used to reach
// the server, as the transport saw it.
func withOrigin(ctx context.Context, origin string) context.Context {
	return context.WithValue(ctx, originKey{}, origin)
}

// pairingBase chooses the start of the pairing URL: the origin the host's
// browser used when that is not a loopback name (a device may reach the
// same name: a reverse proxy's, the machine's), else the server's
// configured base URL, else the origin.
func pairingBase(origin, base string) string {
	if origin != "" {
		if u, err := url.Parse(origin); err == nil && !loopbackNames[strings.ToLower(strings.Trim(u.Hostname(), "[]"))] {
			return origin
		}
	}
	if base != "" {
		return strings.TrimRight(base, "/")
	}
	return origin
}

// StartPairing opens a pairing window of PairingTTL with a fresh code,
// replacing any open one, and returns the code and the URL of the pairing
// page (as text and as a QR code). Only the host may call it: the
// per-start token or the desktop shell, never a paired device
// (permission_denied).
func (a *API) StartPairing(ctx context.Context, _ Empty) (PairingInfo, error) {
	d, err := a.deviceRegistry()
	if err != nil {
		return PairingInfo{}, err
	}
	if err := hostOnly(ctx, "pairing a device"); err != nil {
		return PairingInfo{}, err
	}
	code := newPairingCode()
	now := d.opts.Now()
	origin, _ := ctx.Value(originKey{}).(string)
	d.mu.Lock()
	base := d.opts.BaseURL
	d.mu.Unlock()
	u := pairingBase(origin, base) + "/pair#code=" + code
	png, err := qrcode.Encode(u, qrcode.Medium, 256)
	if err != nil {
		return PairingInfo{}, Errorf(CodeInternal, "cannot draw the QR code: %v", err)
	}
	expires := now.Add(PairingTTL)
	d.mu.Lock()
	d.pair = newPairing()
	d.pair.code, d.pair.expires = code, expires
	d.mu.Unlock()
	return PairingInfo{Code: code, URL: u, ExpiresAt: expires, CAFingerprint: d.opts.CAFingerprint,
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}

// PairParams are the body of POST /api/pair.
type PairParams struct {
	Code       string `json:"code"`
	DeviceName string `json:"deviceName"`
}

// PairResult is the answer to a good POST /api/pair: the device's token,
// to be sent as "Authorization: Bearer <token>" from now on.
type PairResult struct {
	Token    string `json:"token"`
	DeviceID string `json:"deviceId"`
}

// Pair exchanges the open window's code for a new device token; source is
// the caller's address, for the per-address limit. A good code closes the
// window (one device per code). Refusals: a wrong code (unauthorized; it
// counts towards PairingMaxFailures), no window or an expired one
// (unauthorized), a locked window or a throttled address (limit_reached).
func (d *Devices) Pair(ctx context.Context, source string, p PairParams) (PairResult, error) {
	name, err := cleanDeviceName(p.DeviceName)
	if err != nil {
		return PairResult{}, err
	}
	now := d.opts.Now()
	d.mu.Lock()
	src := d.pair.sources[source]
	v := decidePair(&d.pair, src, now, p.Code)
	if v == pairWrongCode {
		d.pair.failures++
		if src == nil || now.Sub(src.first) >= PairingSourceWindow {
			if len(d.pair.sources) >= maxPairSources {
				d.pair.sources = map[string]*sourceFailures{}
			}
			src = &sourceFailures{first: now}
			d.pair.sources[source] = src
		}
		src.n++
	}
	if v == pairOK {
		d.pair.code = "" // one device per code
	}
	d.mu.Unlock()
	switch v {
	case pairThrottled:
		return PairResult{}, Errorf(CodeLimitReached, "too many wrong pairing codes from this address; wait a minute")
	case pairNoWindow:
		return PairResult{}, Errorf(CodeUnauthorized, "no pairing is open; start one on the host (Pair a device, or corral pair)")
	case pairExpired:
		return PairResult{}, Errorf(CodeUnauthorized, "the pairing code has expired; start pairing again on the host")
	case pairLocked:
		return PairResult{}, Errorf(CodeLimitReached, "pairing is locked after %d wrong codes; start pairing again on the host", PairingMaxFailures)
	case pairWrongCode:
		return PairResult{}, Errorf(CodeUnauthorized, "wrong pairing code")
	}
	dev, token, err := d.add(ctx, name)
	if err != nil {
		return PairResult{}, err
	}
	return PairResult{Token: token, DeviceID: dev.ID}, nil
}
