package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultHeartbeatTimeout is how long the hub waits for a runner's
// heartbeat before it marks the runner lost.
const DefaultHeartbeatTimeout = 15 * time.Second

// DefaultAddr is where the embedded NATS server listens for runners.
const DefaultAddr = "0.0.0.0:4222"

// HubFile, in the keyring directory, names the NATS URL of the running
// hub (written at start, removed at stop), so `corral fleet remove` can
// push a revocation to it at once.
const HubFile = "hub.json"

// HubOptions configure StartHub.
type HubOptions struct {
	// DataDir is the data directory: the keyring is <DataDir>/fleet, the
	// embedded server's JetStream store <DataDir>/nats.
	DataDir string
	// Addr is the embedded server's listen address (DefaultAddr if
	// empty; port 0 picks a free port).
	Addr string
	// URL, when set, is an existing NATS cluster to use instead of
	// embedding a server; Creds is the hub's credentials file there
	// (default: the keyring's hub.creds).
	URL, Creds string
	// HeartbeatTimeout (DefaultHeartbeatTimeout if 0) marks a runner lost.
	HeartbeatTimeout time.Duration
	// Now is the registry's clock (time.Now if nil).
	Now    func() time.Time
	Logger *slog.Logger
	// OnChange, when set, is called with each runner status change.
	OnChange func(Change)
}

// A Hub is the hub's side of the fleet: the embedded NATS server (if any),
// the hub's connection, JetStream, and the registry of runners.
type Hub struct {
	Keyring *Keyring
	srv     *server.Server // nil with an external cluster
	nc      *nats.Conn
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	reg     *Registry
	url     string
	log     *slog.Logger

	stop    context.CancelFunc
	wg      sync.WaitGroup
	hubFile string
}

// StartHub opens the keyring, starts or connects to NATS, creates the
// corral_runners bucket and starts keeping the registry. Close stops it.
func StartHub(ctx context.Context, o HubOptions) (*Hub, error) {
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	kr, err := OpenKeyring(filepath.Join(o.DataDir, "fleet"))
	if err != nil {
		return nil, fmt.Errorf("fleet keyring: %w", err)
	}
	h := &Hub{Keyring: kr, reg: NewRegistry(o.HeartbeatTimeout, o.Now), log: o.Logger}
	if err := h.connect(o); err != nil {
		h.shutdownServer()
		return nil, err
	}
	if err := h.startRegistry(ctx, o); err != nil {
		h.Close()
		return nil, err
	}
	h.hubFile = filepath.Join(kr.Dir(), HubFile)
	b, _ := json.Marshal(hubInfo{URL: h.url, PID: os.Getpid()})
	if err := writeSecret(h.hubFile, b); err != nil {
		h.log.Warn("fleet: cannot write hub.json; `corral fleet remove` will apply at the next start", "err", err)
	}
	return h, nil
}

type hubInfo struct {
	URL string `json:"url"`
	PID int    `json:"pid"`
}

// connect embeds a server or dials the external one, then opens the hub's
// connection and JetStream.
func (h *Hub) connect(o HubOptions) error {
	opts := []nats.Option{nats.Name("corral hub"), nats.MaxReconnects(-1)}
	creds := o.Creds
	if creds == "" {
		creds = h.Keyring.CredsPath(HubCredsFile)
	}
	opts = append(opts, nats.UserCredentials(creds))
	h.url = o.URL
	if o.URL == "" {
		if err := h.embed(o); err != nil {
			return err
		}
		opts = append(opts, nats.InProcessServer(h.srv))
	}
	nc, err := nats.Connect(h.url, opts...)
	if err != nil {
		return fmt.Errorf("fleet: connect to %s: %w", h.url, err)
	}
	h.nc = nc
	if h.js, err = jetstream.New(nc); err != nil {
		return err
	}
	return nil
}

// embed starts the embedded NATS server in operator mode: it trusts the
// keyring's operator and resolves accounts from <data>/nats/accounts, so
// the system user can push an account update (a revocation) to it.
func (h *Hub) embed(o HubOptions) error {
	addr := o.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--fleet-addr: %w", err)
	}
	port, err := strconv.Atoi(portS)
	if err != nil {
		return fmt.Errorf("--fleet-addr: bad port %q", portS)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	store := filepath.Join(o.DataDir, "nats")
	res, err := server.NewDirAccResolver(filepath.Join(store, "accounts"), 0, time.Minute, server.NoDelete)
	if err != nil {
		return err
	}
	for pub, j := range map[string]string{h.Keyring.SystemPublicKey(): h.Keyring.SystemJWT(), h.Keyring.AccountPublicKey(): h.Keyring.AccountJWT()} {
		if err := res.Store(pub, j); err != nil {
			return err
		}
	}
	oc, err := jwt.DecodeOperatorClaims(h.Keyring.OperatorJWT())
	if err != nil {
		return err
	}
	s, err := server.NewServer(&server.Options{
		ServerName: "corral-hub", Host: host, Port: port,
		JetStream: true, StoreDir: store,
		TrustedOperators: []*jwt.OperatorClaims{oc}, SystemAccount: h.Keyring.SystemPublicKey(),
		AccountResolver: res, NoSigs: true,
	})
	if err != nil {
		return fmt.Errorf("fleet: nats server: %w", err)
	}
	s.SetLoggerV2(natsLogger{h.log}, false, false, false)
	s.Start()
	h.srv = s
	if !s.ReadyForConnections(30 * time.Second) {
		return errors.New("fleet: the embedded NATS server did not start")
	}
	h.url = clientURL(s)
	return nil
}

// clientURL is the URL a local client dials: loopback when the server
// listens on every interface.
func clientURL(s *server.Server) string {
	a, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		return s.ClientURL()
	}
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "nats://" + net.JoinHostPort(host, strconv.Itoa(a.Port))
}

// startRegistry creates the bucket, loads it, and starts the loop that
// stores heartbeats and sweeps statuses.
func (h *Hub) startRegistry(ctx context.Context, o HubOptions) error {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	kv, err := h.js.CreateOrUpdateKeyValue(cctx, jetstream.KeyValueConfig{Bucket: RunnersBucket, History: 1})
	if err != nil {
		return fmt.Errorf("fleet: bucket %s: %w", RunnersBucket, err)
	}
	h.kv = kv
	if err := h.prune(cctx); err != nil {
		return err
	}
	lctx, stop := context.WithCancel(context.Background())
	h.stop = stop
	w, err := kv.WatchAll(lctx)
	if err != nil {
		return err
	}
	sub, err := h.nc.Subscribe(heartbeatWildcard, h.storeHeartbeat)
	if err != nil {
		w.Stop()
		return err
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer w.Stop()
		defer sub.Unsubscribe()
		h.loop(lctx, w, o)
	}()
	return nil
}

// prune deletes from the bucket the runners whose credentials were removed
// while no hub ran.
func (h *Hub) prune(ctx context.Context) error {
	issued := map[string]bool{}
	for _, c := range h.Keyring.Runners() {
		issued[c.Name] = true
	}
	keys, err := h.kv.ListKeys(ctx)
	if err != nil {
		return err
	}
	defer keys.Stop()
	var stale []string
	for k := range keys.Keys() {
		if !issued[k] {
			stale = append(stale, k)
		}
	}
	for _, k := range stale {
		if err := h.kv.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// storeHeartbeat puts a runner's heartbeat into the bucket, its name taken
// from the subject (which only that runner may publish on).
func (h *Hub) storeHeartbeat(m *nats.Msg) {
	parts := strings.Split(m.Subject, ".")
	if len(parts) != 4 || ValidName(parts[2]) != nil {
		return
	}
	var hb Heartbeat
	if err := json.Unmarshal(m.Data, &hb); err != nil {
		h.log.Debug("fleet: bad heartbeat", "subject", m.Subject, "err", err)
		return
	}
	hb.Name = parts[2]
	b, _ := json.Marshal(hb)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := h.kv.Put(ctx, hb.Name, b); err != nil {
		h.log.Debug("fleet: cannot store a heartbeat", "runner", hb.Name, "err", err)
	}
}

// loop feeds the registry from the bucket and re-decides statuses a few
// times per timeout.
func (h *Hub) loop(ctx context.Context, w jetstream.KeyWatcher, o HubOptions) {
	tick := time.NewTicker(max(o.HeartbeatTimeout/4, 50*time.Millisecond))
	defer tick.Stop()
	report := func(c Change) {
		h.log.Info("fleet: runner "+string(c.To), "runner", c.Name)
		if o.OnChange != nil {
			o.OnChange(c)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil { // the initial values are in
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				h.reg.Forget(e.Key())
				continue
			}
			var hb Heartbeat
			if json.Unmarshal(e.Value(), &hb) != nil {
				continue
			}
			hb.Name = e.Key()
			if c, changed := h.reg.Seen(hb, e.Created()); changed {
				report(c)
			}
		case <-tick.C:
			for _, c := range h.reg.Sweep() {
				report(c)
			}
		}
	}
}

// Runners lists the runners the hub knows, by name.
func (h *Hub) Runners() []Runner { return h.reg.List() }

// Place chooses a runner for a new session with agent (see Place).
func (h *Hub) Place(agent, named string) (string, error) { return Place(h.reg.List(), agent, named) }

// Conn is the hub's NATS connection: it may use every subject of the
// CORRAL account (requests to runners' corral.fleet.NAME.rpc.METHOD,
// subscriptions to their events).
func (h *Hub) Conn() *nats.Conn { return h.nc }

// JetStream is the hub's JetStream context (the relay creates and reads
// the CORRAL_EVENTS stream with it).
func (h *Hub) JetStream() jetstream.JetStream { return h.js }

// URL is the NATS URL runners and tools on this machine dial.
func (h *Hub) URL() string { return h.url }

// Server is the embedded NATS server, nil with an external cluster.
func (h *Hub) Server() *server.Server { return h.srv }

// Close stops the registry, closes the connection and shuts the embedded
// server down, waiting for all of it.
func (h *Hub) Close() {
	if h.stop != nil {
		h.stop()
	}
	h.wg.Wait()
	if h.nc != nil {
		h.nc.Close()
	}
	h.shutdownServer()
	if h.hubFile != "" {
		os.Remove(h.hubFile)
	}
}

func (h *Hub) shutdownServer() {
	if h.srv != nil {
		h.srv.Shutdown()
		h.srv.WaitForShutdown()
	}
}
