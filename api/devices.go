package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/store"
)

// HostDeviceID is the device id of a request made with the per-start token
// (the person at the machine corral runs on).
const HostDeviceID = "host"

// Device is who made a request: the host (the per-start token) or a
// paired device (its own token, see POST /api/pair).
type Device struct {
	// ID is HostDeviceID for the host, else the paired device's id.
	ID string `json:"deviceId"`
	// Name is the name the device was paired under ("" for the host).
	Name string `json:"name"`
}

// IsHost reports whether d is the host.
func (d Device) IsHost() bool { return d.ID == HostDeviceID }

type deviceKey struct{}

// WithDevice returns ctx carrying d as the authenticated device.
func WithDevice(ctx context.Context, d Device) context.Context {
	return context.WithValue(ctx, deviceKey{}, d)
}

// DeviceFrom returns the device that made the request ctx belongs to. The
// HTTP transport sets it on every request that passed the token check (the
// per-start token is Device{ID: "host"}); it is absent (ok false) in calls
// that did not come through the transport, such as the desktop shell's.
func DeviceFrom(ctx context.Context) (Device, bool) {
	d, ok := ctx.Value(deviceKey{}).(Device)
	return d, ok
}

// hostOnly refuses a call made by a paired device: what it guards may be
// done only at the machine itself (the per-start token, or the desktop
// shell, whose calls carry no device).
func hostOnly(ctx context.Context, what string) error {
	if d, ok := DeviceFrom(ctx); ok && !d.IsHost() {
		return Errorf(CodePermissionDenied, "%s is allowed only on the host, not from a paired device", what)
	}
	return nil
}

// DeviceStore keeps the paired devices (*store.Store implements it).
type DeviceStore interface {
	AddDevice(ctx context.Context, d store.Device) error
	DeleteDevice(ctx context.Context, id string) error
	TouchDevice(ctx context.Context, id string, at time.Time) error
	DeviceByTokenHash(ctx context.Context, hash []byte) (store.Device, error)
	Devices(ctx context.Context) ([]store.Device, error)
}

// DevicesOptions configure a Devices.
type DevicesOptions struct {
	// BaseURL is the URL a device reaches the server at
	// ("https://192.168.1.5:8443"), the start of the pairing URL.
	BaseURL string
	// CAFingerprint is the SHA-256 fingerprint of the local CA that signed
	// the server's certificate, shown while pairing; "" when there is none.
	CAFingerprint string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Devices authenticates paired devices, pairs new ones and revokes them.
// One Devices is shared by the API (StartPairing, ListDevices,
// RevokeDevice) and the Server (the token check, POST /api/pair, the event
// streams a revocation closes).
type Devices struct {
	store DeviceStore
	opts  DevicesOptions

	mu      sync.Mutex
	streams map[string]map[*streamHandle]struct{} // device id → its open event streams
	touched map[string]time.Time                  // device id → when last-seen was last written
	pair    pairing
}

type streamHandle struct{ cancel context.CancelFunc }

// NewDevices returns the registry over st.
func NewDevices(st DeviceStore, opts DevicesOptions) *Devices {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Devices{store: st, opts: opts, streams: map[string]map[*streamHandle]struct{}{},
		touched: map[string]time.Time{}, pair: newPairing()}
}

// WithDevices enables StartPairing, ListDevices and RevokeDevice; without
// it they fail with code internal ("not available").
func WithDevices(d *Devices) Option { return func(a *API) { a.devices = d } }

// hashToken is what the store keeps of a device token.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// touchEvery is how often a device's last-seen time is written at most.
const touchEvery = time.Minute

// Authenticate returns the paired device whose token is token. The lookup
// is by the token's SHA-256, so the store never holds a usable token; a
// revoked device is not found from the moment RevokeDevice returns.
func (d *Devices) Authenticate(ctx context.Context, token string) (Device, bool) {
	if len(token) < MinTokenLen {
		return Device{}, false
	}
	rec, err := d.store.DeviceByTokenHash(ctx, hashToken(token))
	if err != nil {
		return Device{}, false
	}
	now := d.opts.Now()
	d.mu.Lock()
	stale := now.Sub(d.touched[rec.ID]) >= touchEvery
	if stale {
		d.touched[rec.ID] = now
	}
	d.mu.Unlock()
	if stale {
		d.store.TouchDevice(ctx, rec.ID, now) // error ignored: last-seen is advisory
	}
	return Device{ID: rec.ID, Name: rec.Name}, true
}

// trackStream registers an open event stream of device id; revoking the
// device calls cancel. The returned function unregisters it.
func (d *Devices) trackStream(id string, cancel context.CancelFunc) func() {
	h := &streamHandle{cancel: cancel}
	d.mu.Lock()
	if d.streams[id] == nil {
		d.streams[id] = map[*streamHandle]struct{}{}
	}
	d.streams[id][h] = struct{}{}
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		delete(d.streams[id], h)
		if len(d.streams[id]) == 0 {
			delete(d.streams, id)
		}
		d.mu.Unlock()
	}
}

// OpenStreams returns how many event streams device id holds open.
func (d *Devices) OpenStreams(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.streams[id])
}

// revoke deletes the device and closes its open event streams.
func (d *Devices) revoke(ctx context.Context, id string) error {
	if err := d.store.DeleteDevice(ctx, id); err != nil {
		return err
	}
	d.mu.Lock()
	hs := d.streams[id]
	delete(d.streams, id)
	delete(d.touched, id)
	d.mu.Unlock()
	for h := range hs {
		h.cancel()
	}
	return nil
}

// add records a new device named name and returns it with its token.
func (d *Devices) add(ctx context.Context, name string) (Device, string, error) {
	token := NewToken()
	idb := make([]byte, 8)
	rand.Read(idb) // error ignored: crypto/rand never fails on supported OSes
	now := d.opts.Now()
	rec := store.Device{ID: "dev_" + hex.EncodeToString(idb), Name: name, TokenHash: hashToken(token), CreatedAt: now, LastSeen: now}
	if err := d.store.AddDevice(ctx, rec); err != nil {
		return Device{}, "", err
	}
	return Device{ID: rec.ID, Name: name}, token, nil
}

// DeviceInfo is one paired device as ListDevices returns it.
type DeviceInfo struct {
	DeviceID  string    `json:"deviceId"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	LastSeen  time.Time `json:"lastSeen"`
	// Current is true for the device that made the call.
	Current bool `json:"current"`
}

// DeviceParams name one paired device.
type DeviceParams struct {
	DeviceID string `json:"deviceId"`
}

func (a *API) deviceRegistry() (*Devices, error) {
	if a.devices == nil {
		return nil, Errorf(CodeInternal, "paired devices are not available")
	}
	return a.devices, nil
}

// ListDevices returns the paired devices, oldest first; the caller's own
// is marked current.
func (a *API) ListDevices(ctx context.Context, _ Empty) ([]DeviceInfo, error) {
	d, err := a.deviceRegistry()
	if err != nil {
		return nil, err
	}
	recs, err := d.store.Devices(ctx)
	if err != nil {
		return nil, err
	}
	me, _ := DeviceFrom(ctx)
	out := make([]DeviceInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, DeviceInfo{DeviceID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, LastSeen: r.LastSeen, Current: r.ID == me.ID})
	}
	return out, nil
}

// RevokeDevice forgets a paired device: its token is refused from the next
// request on, and its open event streams are closed. The host may revoke
// any device; a paired device only itself.
func (a *API) RevokeDevice(ctx context.Context, p DeviceParams) (Empty, error) {
	d, err := a.deviceRegistry()
	if err != nil {
		return Empty{}, err
	}
	if err := required("deviceId", p.DeviceID); err != nil {
		return Empty{}, err
	}
	if me, ok := DeviceFrom(ctx); ok && !me.IsHost() && me.ID != p.DeviceID {
		return Empty{}, Errorf(CodePermissionDenied, "a paired device may revoke only itself")
	}
	if err := d.revoke(ctx, p.DeviceID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Empty{}, Errorf(CodeNotFound, "no paired device %q", p.DeviceID)
		}
		return Empty{}, err
	}
	return Empty{}, nil
}

// cleanDeviceName is a device name as stored: trimmed, one line, at most
// 64 characters; empty becomes "device".
func cleanDeviceName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" {
		return "device", nil
	}
	if len([]rune(n)) > 64 {
		return "", Errorf(CodeInvalidArgument, "deviceName is longer than 64 characters")
	}
	if _, err := CleanTitle(n); err != nil {
		return "", Errorf(CodeInvalidArgument, "deviceName must be one line without control characters")
	}
	return n, nil
}

// SetBaseURL sets DevicesOptions.BaseURL once the server's address is
// known.
func (d *Devices) SetBaseURL(u string) {
	d.mu.Lock()
	d.opts.BaseURL = u
	d.mu.Unlock()
}
