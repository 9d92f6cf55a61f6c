package api

import (
	"context"
	"errors"

	"github.com/corral-dev/corral/push"
)

// WithPush enables Web Push (push.Service: the VAPID keys, the stored
// subscriptions, the sender). Without it GetPushConfig answers
// supported: false and the other push methods fail with code internal
// ("not available").
func WithPush(p *push.Service) Option { return func(a *API) { a.push = p } }

// pushDeviceID is the device a push call comes from: subscriptions and
// event choices are kept per device (devices.go). A call without a device
// (the desktop window) counts as the host's.
func pushDeviceID(ctx context.Context) string {
	if d, ok := DeviceFrom(ctx); ok {
		return d.ID
	}
	return HostDeviceID
}

// PushConfig is what a page needs to subscribe: the VAPID public key
// (base64url, the applicationServerKey) and whether this server sends
// pushes at all.
type PushConfig struct {
	PublicKey string `json:"publicKey"`
	Supported bool   `json:"supported"`
}

// PushKeys are a subscription's keys, base64url.
type PushKeys struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// PushSubscriptionParam is a browser's PushSubscription.toJSON().
type PushSubscriptionParam struct {
	Endpoint string   `json:"endpoint"`
	Keys     PushKeys `json:"keys"`
	// ExpirationTime is what the browser says (ignored).
	ExpirationTime *float64 `json:"expirationTime,omitempty"`
}

// SubscribePushParams are the parameters of SubscribePush. Events, when
// present, sets the device's choice of kinds as SetPushSettings does.
type SubscribePushParams struct {
	Subscription PushSubscriptionParam `json:"subscription"`
	Events       []string              `json:"events,omitempty"`
}

// UnsubscribePushParams name the subscription to remove.
type UnsubscribePushParams struct {
	Endpoint string `json:"endpoint"`
}

// UnsubscribePushResult says whether the device had that subscription.
type UnsubscribePushResult struct {
	Removed bool `json:"removed"`
}

// PushSettings are the kinds of session events a device wants pushed:
// permission, done, error, rate_limited, resumed, budget.
type PushSettings struct {
	Events []string `json:"events"`
}

// PushSubscriptionsResult lists the calling device's subscriptions and
// its choice of events.
type PushSubscriptionsResult struct {
	DeviceID      string      `json:"deviceId"`
	Events        []string    `json:"events"`
	Subscriptions []push.Info `json:"subscriptions"`
}

func (a *API) pushService() (*push.Service, error) {
	if a.push == nil {
		return nil, Errorf(CodeInternal, "push notifications are not available in this build")
	}
	return a.push, nil
}

// pushErr maps a refused subscription or kind to invalid_argument.
func pushErr(err error) error {
	var inv *push.InvalidError
	if errors.As(err, &inv) {
		return Errorf(CodeInvalidArgument, "%s: %s", inv.Field, inv.Reason)
	}
	return err
}

// GetPushConfig returns the VAPID public key and whether push is on.
func (a *API) GetPushConfig(ctx context.Context, _ Empty) (PushConfig, error) {
	if a.push == nil {
		return PushConfig{}, nil
	}
	return PushConfig{PublicKey: a.push.PublicKey(), Supported: true}, nil
}

// SubscribePush stores the calling device's browser subscription; session
// events of the kinds the device wants are pushed to it from then on.
func (a *API) SubscribePush(ctx context.Context, p SubscribePushParams) (push.Info, error) {
	svc, err := a.pushService()
	if err != nil {
		return push.Info{}, err
	}
	var sub push.Subscription
	sub.Endpoint, sub.Keys.P256dh, sub.Keys.Auth = p.Subscription.Endpoint, p.Subscription.Keys.P256dh, p.Subscription.Keys.Auth
	info, err := svc.Subscribe(ctx, pushDeviceID(ctx), sub, p.Events)
	return info, pushErr(err)
}

// UnsubscribePush removes one of the calling device's subscriptions.
func (a *API) UnsubscribePush(ctx context.Context, p UnsubscribePushParams) (UnsubscribePushResult, error) {
	if err := required("endpoint", p.Endpoint); err != nil {
		return UnsubscribePushResult{}, err
	}
	svc, err := a.pushService()
	if err != nil {
		return UnsubscribePushResult{}, err
	}
	removed, err := svc.Unsubscribe(ctx, pushDeviceID(ctx), p.Endpoint)
	return UnsubscribePushResult{Removed: removed}, err
}

// SetPushSettings sets the kinds of events the calling device wants
// pushed (an empty list: none) and returns them as stored.
func (a *API) SetPushSettings(ctx context.Context, p PushSettings) (PushSettings, error) {
	svc, err := a.pushService()
	if err != nil {
		return PushSettings{}, err
	}
	events := p.Events
	if events == nil {
		events = []string{}
	}
	out, err := svc.SetEvents(ctx, pushDeviceID(ctx), events)
	return PushSettings{Events: out}, pushErr(err)
}

// ListPushSubscriptions lists the calling device's subscriptions and its
// choice of events.
func (a *API) ListPushSubscriptions(ctx context.Context, _ Empty) (PushSubscriptionsResult, error) {
	svc, err := a.pushService()
	if err != nil {
		return PushSubscriptionsResult{}, err
	}
	dev := pushDeviceID(ctx)
	subs, err := svc.List(ctx, dev)
	if err != nil {
		return PushSubscriptionsResult{}, err
	}
	events, err := svc.Events(ctx, dev)
	return PushSubscriptionsResult{DeviceID: dev, Events: events, Subscriptions: subs}, err
}
