package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// DefaultHeartbeatInterval is how often a runner publishes its heartbeat.
const DefaultHeartbeatInterval = 5 * time.Second

// RunnerOptions configure ConnectRunner.
type RunnerOptions struct {
	URL       string // the hub's NATS URL(s), comma-separated
	CredsFile string // the runner's .creds file (corral fleet add)
	// Name is the runner's name; it must be the credentials' user name
	// (empty: that name).
	Name     string
	Interval time.Duration // between heartbeats (DefaultHeartbeatInterval if 0)
	// Status fills a heartbeat's agents, sessions, capacity, labels and
	// version; the runner adds name, cpu, rss, load and time.
	Status func() Heartbeat
	Logger *slog.Logger
}

// A RunnerConn is a runner's connection to the hub: it dials out only,
// reconnects forever with backoff and publishes heartbeats. It ends only
// when closed, or when the hub refuses its credentials (Done, Err).
type RunnerConn struct {
	name string
	nc   *nats.Conn
	o    RunnerOptions
	log  *slog.Logger

	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
}

// ErrCredentialsRefused is Err's cause when the hub refused the runner's
// credentials (revoked by `corral fleet remove`, or never issued by it).
var ErrCredentialsRefused = errors.New("the hub refused this runner's credentials")

// ConnectRunner reads the credentials, checks the name and starts the
// connection; it returns at once even when the hub cannot be reached yet.
func ConnectRunner(o RunnerOptions) (*RunnerConn, error) {
	if o.Interval <= 0 {
		o.Interval = DefaultHeartbeatInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	b, err := os.ReadFile(o.CredsFile)
	if err != nil {
		return nil, fmt.Errorf("--creds: %w", err)
	}
	name, err := CredsName(b)
	if err != nil {
		return nil, fmt.Errorf("--creds %s: %w", o.CredsFile, err)
	}
	if o.Name != "" && o.Name != name {
		return nil, fmt.Errorf("--name %q: the credentials are runner %q's", o.Name, name)
	}
	if err := ValidName(name); err != nil {
		return nil, err
	}
	r := &RunnerConn{name: name, o: o, log: o.Logger, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	r.nc, err = nats.Connect(o.URL,
		nats.Name("corral runner "+name),
		nats.UserCredentials(o.CredsFile),
		nats.CustomInboxPrefix(InboxPrefix(name)),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(func(attempts int) time.Duration { return Backoff(attempts, rand.Float64()) }),
		nats.ConnectHandler(func(*nats.Conn) { r.log.Info("fleet: connected to the hub", "url", o.URL); r.poke() }),
		nats.ReconnectHandler(func(*nats.Conn) { r.log.Info("fleet: reconnected to the hub"); r.poke() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { r.log.Warn("fleet: disconnected from the hub", "err", err) }),
		nats.ClosedHandler(r.closed),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { r.log.Warn("fleet: hub connection", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	r.wg.Add(1)
	go r.beat()
	return r, nil
}

// Backoff is the wait before reconnect attempt n (from 1): 250 ms doubling
// to at most 30 s, stretched by up to a quarter by jitter in [0,1).
func Backoff(n int, jitter float64) time.Duration {
	d := 250 * time.Millisecond
	for i := 1; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	d = min(d, 30*time.Second)
	return d + time.Duration(float64(d)/4*jitter)
}

func (r *RunnerConn) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// closed runs when the client gives up: only after Close, or when the
// server refused the credentials (the client stops retrying then).
func (r *RunnerConn) closed(nc *nats.Conn) {
	r.mu.Lock()
	if e := nc.LastError(); e != nil && r.err == nil {
		select {
		case <-r.stop:
		default:
			r.err = fmt.Errorf("%w: %v", ErrCredentialsRefused, e)
		}
	}
	r.mu.Unlock()
	r.closing.Do(func() { close(r.done) })
}

// beat publishes a heartbeat every interval and at each (re)connection.
func (r *RunnerConn) beat() {
	defer r.wg.Done()
	t := time.NewTicker(r.o.Interval)
	defer t.Stop()
	var cpu cpuMeter
	for {
		select {
		case <-r.stop:
			return
		case <-r.done:
			return
		case <-t.C:
		case <-r.kick:
		}
		var hb Heartbeat
		if r.o.Status != nil {
			hb = r.o.Status()
		}
		hb.Name, hb.At = r.name, time.Now().UTC()
		hb.CPU, hb.RSS, hb.Load = cpu.percent(), residentBytes(), loadAverage()
		b, _ := json.Marshal(hb)
		if r.nc.IsConnected() {
			if err := r.nc.Publish(HeartbeatSubject(r.name), b); err != nil {
				r.log.Debug("fleet: heartbeat", "err", err)
			}
		}
	}
}

// Name is the runner's name (from its credentials).
func (r *RunnerConn) Name() string { return r.name }

// Conn is the runner's NATS connection: it may publish and subscribe only
// to its own subjects (RunnerPermissions) and replies on InboxPrefix(name).
func (r *RunnerConn) Conn() *nats.Conn { return r.nc }

// Done is closed when the connection ended for good (Close, or refused
// credentials: see Err).
func (r *RunnerConn) Done() <-chan struct{} { return r.done }

// Err is why the connection ended: nil after Close, else wrapping
// ErrCredentialsRefused.
func (r *RunnerConn) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close stops the heartbeats and closes the connection, waiting for both.
func (r *RunnerConn) Close() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	r.wg.Wait()
	r.nc.Close()
	<-r.done
}
