package push

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/corral-dev/corral/store"
)

// Info is one stored subscription as the API lists it (its keys stay on
// the server).
type Info struct {
	Endpoint  string `json:"endpoint"`
	DeviceID  string `json:"deviceId"`
	CreatedAt string `json:"createdAt"`
}

// Subscribe stores sub for device (replacing a subscription with the same
// endpoint) and, when events is not nil, sets the device's choice of
// kinds. A refused subscription or kind is an *InvalidError.
func (s *Service) Subscribe(ctx context.Context, device string, sub Subscription, events []string) (Info, error) {
	if err := sub.Validate(); err != nil {
		return Info{}, err
	}
	ev, err := CleanEvents(events)
	if err != nil {
		return Info{}, err
	}
	row := store.PushSubscription{Endpoint: sub.Endpoint, DeviceID: device, P256dh: sub.Keys.P256dh,
		Auth: sub.Keys.Auth, CreatedAt: s.o.Now().UTC()}
	if err := s.o.Store.PutPushSubscription(ctx, row); err != nil {
		return Info{}, err
	}
	if ev != nil {
		if err := s.o.Store.SetPushEvents(ctx, device, ev); err != nil {
			return Info{}, err
		}
	}
	return infoOf(row), nil
}

// Unsubscribe removes device's subscription with this endpoint and
// reports whether there was one.
func (s *Service) Unsubscribe(ctx context.Context, device, endpoint string) (bool, error) {
	return s.o.Store.DeletePushSubscription(ctx, endpoint, device)
}

// SetEvents sets the kinds device wants pushed (nil: every kind) and
// returns the choice as stored.
func (s *Service) SetEvents(ctx context.Context, device string, events []string) ([]string, error) {
	ev, err := CleanEvents(events)
	if err != nil {
		return nil, err
	}
	return ev, s.o.Store.SetPushEvents(ctx, device, ev)
}

// Events returns the kinds device wants pushed (every kind when it never
// chose).
func (s *Service) Events(ctx context.Context, device string) ([]string, error) {
	ev, err := s.o.Store.PushEvents(ctx, device)
	if ev == nil && err == nil {
		ev = append([]string{}, Kinds...)
	}
	return ev, err
}

// List returns device's subscriptions, oldest first.
func (s *Service) List(ctx context.Context, device string) ([]Info, error) {
	rows, err := s.o.Store.PushSubscriptions(ctx, device)
	out := make([]Info, 0, len(rows))
	for _, r := range rows {
		out = append(out, infoOf(r))
	}
	return out, err
}

func infoOf(r store.PushSubscription) Info {
	return Info{Endpoint: r.Endpoint, DeviceID: r.DeviceID, CreatedAt: r.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")}
}

func jsonBytes(m Message) ([]byte, error) { return json.Marshal(m) }

// origin is an endpoint without its path (the path names the browser's
// subscription: not for logs).
func origin(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "?"
	}
	return u.Scheme + "://" + u.Host
}
