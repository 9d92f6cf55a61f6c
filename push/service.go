package push

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/corral-dev/corral/bus"
	"github.com/corral-dev/corral/event"
	"github.com/corral-dev/corral/store"
)

// Store keeps the subscriptions (*store.Store implements it).
type Store interface {
	PutPushSubscription(ctx context.Context, sub store.PushSubscription) error
	DeletePushSubscription(ctx context.Context, endpoint, deviceID string) (bool, error)
	SetPushEvents(ctx context.Context, deviceID string, events []string) error
	PushSubscriptions(ctx context.Context, deviceID string) ([]store.PushSubscription, error)
	PushEvents(ctx context.Context, deviceID string) ([]string, error)
}

// Options configure a Service. Keys and Store are required.
type Options struct {
	Keys  Keys
	Store Store
	// Name says how a session is called in a notification (its title or
	// directory); nil or "" uses its id.
	Name func(ctx context.Context, sessionID string) string
	// Client sends the requests (default: an http.Client with Timeout).
	Client *http.Client
	// Subscriber is the VAPID "sub" claim, a mailto: or https: contact
	// (default DefaultSubscriber).
	Subscriber string
	// QueueSize bounds the messages waiting to be sent (default 256); a
	// message past it is dropped and logged.
	QueueSize int
	// TTL is how long a push service keeps an undelivered message
	// (default one hour).
	TTL time.Duration
	// Timeout bounds one request to a push service (default 10 s).
	Timeout time.Duration
	Log     *slog.Logger
	Now     func() time.Time
}

// DefaultSubscriber is the VAPID contact when Options.Subscriber is empty.
const DefaultSubscriber = "mailto:corral@users.noreply.github.com"

// Service validates and stores subscriptions and sends pushes. Its
// methods are safe for concurrent use.
type Service struct {
	o     Options
	queue chan Message
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// New returns a Service whose worker runs until Close.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("push: no store")
	}
	if err := o.Keys.Valid(); err != nil {
		return nil, err
	}
	if o.Subscriber == "" {
		o.Subscriber = DefaultSubscriber
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.TTL <= 0 {
		o.TTL = time.Hour
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{o: o, queue: make(chan Message, o.QueueSize), stop: make(chan struct{})}
	s.wg.Add(1)
	go s.work()
	return s, nil
}

// PublicKey is the VAPID public key (the applicationServerKey).
func (s *Service) PublicKey() string { return s.o.Keys.PublicKey }

// Close stops the bus reader and the worker (messages still queued are
// dropped) and waits for them.
func (s *Service) Close() {
	s.once.Do(func() { close(s.stop) })
	s.wg.Wait()
}

// Watch reads the live events of every session from b and queues the
// pushes they raise, until Close or ctx ends.
func (s *Service) Watch(ctx context.Context, b *bus.Bus) error {
	sub, err := b.Subscribe(ctx, -1, bus.Filter{})
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer sub.Close()
		for {
			select {
			case <-s.stop:
				return
			case evs, ok := <-sub.C:
				if !ok {
					return
				}
				for _, ev := range evs {
					s.Notify(ctx, ev)
				}
			}
		}
	}()
	return nil
}

// Notify queues the push ev raises, if any, without waiting: when the
// queue is full the push is dropped (and logged) rather than holding up
// the caller. It reports whether a push was queued.
func (s *Service) Notify(ctx context.Context, ev event.Event) bool {
	if _, ok := MessageFor(ev, ""); !ok {
		return false // most events: no name look-up
	}
	name := ""
	if s.o.Name != nil {
		name = s.o.Name(ctx, ev.SessionID)
	}
	m, _ := MessageFor(ev, name)
	select {
	case s.queue <- m:
		return true
	default:
		s.o.Log.Warn("push queue full; dropped a notification", "kind", m.Kind, "session", m.SessionID)
		return false
	}
}

func (s *Service) work() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-s.stop; cancel() }()
	for {
		select {
		case <-s.stop:
			return
		case m := <-s.queue:
			s.send(ctx, m)
		}
	}
}

// send pushes m to every subscription whose device wants its kind.
func (s *Service) send(ctx context.Context, m Message) {
	subs, err := s.o.Store.PushSubscriptions(ctx, "")
	if err != nil {
		s.o.Log.Warn("push: cannot read the subscriptions", "err", err)
		return
	}
	for _, sub := range subs {
		if !Wants(sub.Events, m.Kind) {
			continue
		}
		status, err := s.sendOne(ctx, m, sub)
		switch {
		case err != nil:
			s.o.Log.Warn("push: send failed", "endpoint", origin(sub.Endpoint), "err", err)
		case Gone(status):
			if _, err := s.o.Store.DeletePushSubscription(ctx, sub.Endpoint, ""); err != nil {
				s.o.Log.Warn("push: cannot drop an expired subscription", "err", err)
			} else {
				s.o.Log.Info("push: dropped an expired subscription", "endpoint", origin(sub.Endpoint), "status", status, "device", sub.DeviceID)
			}
		case status/100 != 2:
			s.o.Log.Warn("push: the push service refused a message", "endpoint", origin(sub.Endpoint), "status", status)
		}
	}
}

// Gone reports whether a push service's answer means the subscription no
// longer exists (RFC 8030 §7.3: 404 and 410), so it is dropped.
func Gone(status int) bool { return status == http.StatusNotFound || status == http.StatusGone }

func (s *Service) sendOne(ctx context.Context, m Message, sub store.PushSubscription) (int, error) {
	payload, err := jsonBytes(m)
	if err != nil {
		return 0, err
	}
	ws := &webpush.Subscription{Endpoint: sub.Endpoint, Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth}}
	rctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	resp, err := webpush.SendNotificationWithContext(rctx, payload, ws, &webpush.Options{
		HTTPClient:      s.o.Client,
		Subscriber:      s.o.Subscriber,
		TTL:             int(s.o.TTL / time.Second),
		Urgency:         webpush.Urgency(m.Urgency()),
		VAPIDPublicKey:  s.o.Keys.PublicKey,
		VAPIDPrivateKey: s.o.Keys.PrivateKey,
		VapidExpiration: s.o.Now().Add(12 * time.Hour),
	})
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
