package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/fleet/relay"
	"github.com/corral-dev/corral/internal/datalock"
	"github.com/corral-dev/corral/schedule"
	"github.com/corral-dev/corral/session"
	"github.com/corral-dev/corral/supervise"
	"github.com/corral-dev/corral/web"
)

func init() {
	register("serve", &command{
		Summary: "serve the browser UI on loopback and open it (the default command)",
		Run:     runServe,
	})
}

// ServeFile is the name of the file `corral serve` writes in the data
// directory while it runs, so other tools can find and call it.
const ServeFile = "serve.json"

// serveInfo is the content of serve.json.
type serveInfo struct {
	URL   string `json:"url"` // with the token in the fragment
	Port  int    `json:"port"`
	Token string `json:"token"`
	PID   int    `json:"pid"`
	// CACert is the local CA's certificate file when serving over TLS
	// with it (corral pair verifies the server with it).
	CACert string `json:"caCert,omitempty"`
}

// shutdownGrace bounds a stop: every process tree gets the supervisor's
// grace (terminate, wait, kill) inside it.
const shutdownGrace = 15 * time.Second

// TokenFile and PortFile keep the address of corral serve stable across
// restarts: the token (mode 0600) until --rotate-token, and the last port,
// reused when it is free and no address is configured.
const (
	TokenFile = "token"
	PortFile  = "port"
)

// serveOptions are corral serve's flags.
type serveOptions struct {
	addr, hosts, tokenFile         string
	noOpen, allowRemote, rotate, v bool
	remote                         bool
	tlsCert, tlsKey                string
	proxies                        listFlag
	fleet                          fleetFlags   // fleet_serve.go
	apiOpts                        []api.Option // what the fleet adds to the API
}

func parseServeFlags(g *globals, args []string, stderr io.Writer) (serveOptions, int, bool) {
	var o serveOptions
	flags := newFlagSet("serve", g, stderr)
	flags.StringVar(&o.addr, "addr", "", "listen `address` (default 127.0.0.1 on the port of the last start if it is free, else a free port; or [server] addr)")
	flags.BoolVar(&o.noOpen, "no-open", false, "do not open the browser")
	flags.BoolVar(&o.remote, "remote", false, "serve over TLS so that paired devices may connect (--addr may then be a non-loopback address; see corral pair)")
	flags.BoolVar(&o.allowRemote, "allow-remote", false, "the older name of --remote")
	flags.StringVar(&o.tlsCert, "tls-cert", "", "serve this certificate `file` (PEM) instead of one from corral's local CA (implies --remote; with --tls-key)")
	flags.StringVar(&o.tlsKey, "tls-key", "", "the private key `file` (PEM) of --tls-cert")
	flags.Var(&o.proxies, "trusted-proxy", "believe X-Forwarded-Proto/Host/For from this `CIDR` or address (a reverse proxy, Tailscale Serve); repeatable")
	flags.StringVar(&o.hosts, "host", "", "extra comma-separated host `names` the Host header may carry (with --remote, for a name that resolves to this machine)")
	flags.StringVar(&o.tokenFile, "token-file", "", "read the token from `file` (created with a random token if missing) instead of the data directory's token file")
	flags.BoolVar(&o.rotate, "rotate-token", false, "replace the kept token with a new one (open tabs then need the new URL)")
	flags.BoolVar(&o.v, "v", false, "log debug messages")
	o.fleet.register(flags)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: corral serve [--addr ADDR] [--remote] [--tls-cert FILE --tls-key FILE] [--trusted-proxy CIDR]... [--no-open] [--token-file FILE] [--rotate-token] [--fleet [--fleet-addr HOST:PORT] | --nats URL --nats-creds FILE] [--data DIR] [--config FILE]")
		flags.PrintDefaults()
	}
	if code, ok := parseFlags(flags, args); !ok {
		return o, code, false
	}
	if flags.NArg() > 0 {
		flags.Usage()
		return o, 2, false
	}
	return o, 0, true
}

// serveConfig loads the configuration and finds the data directory; code
// is the exit code when it cannot (2: a bad config, 1: no data directory).
func serveConfig(g *globals, stderr io.Writer) (cfg *config.Config, dataDir string, code int) {
	cfg, err := config.Load(g.Config)
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		return cfg, "", 2
	}
	dataDir = g.Data
	if dataDir == "" {
		if dataDir, err = config.DefaultDataDir(); err != nil {
			fmt.Fprintln(stderr, "corral: no data directory:", err)
			return cfg, "", 1
		}
	}
	return cfg, dataDir, 0
}

func runServe(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	o, code, ok := parseServeFlags(g, args, stderr)
	if !ok {
		return code
	}
	level := slog.LevelInfo
	if o.v {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	cfg, dataDir, code := serveConfig(g, stderr)
	if code != 0 {
		return code
	}
	cands := listenCandidates(o.addr, cfg.Server.Addr, readPort(dataDir))
	loopback, err := isLoopbackAddr(cands[0])
	if err != nil {
		fmt.Fprintln(stderr, "corral: --addr:", err)
		return 2
	}
	remote, proxies, err := serveTransport(o, cfg, cands[0], loopback)
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		return 2
	}
	// One corral per data directory, for the life of the process.
	lock, err := datalock.Acquire(dataDir, "corral serve")
	if err != nil {
		fmt.Fprintln(stderr, "corral:", describeLockErr(err, dataDir))
		return 1
	}
	defer lock.Release()
	token, err := serveToken(dataDir, o.tokenFile, o.rotate)
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		return 1
	}
	var rtls *remoteTLS
	if remote {
		if rtls, err = setupTLS(o, cfg, dataDir, cands[0], stdout, log); err != nil {
			fmt.Fprintln(stderr, "corral:", err)
			return 1
		}
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var watchdog []string
	if exe, err := os.Executable(); err == nil {
		watchdog = []string{exe, supervise.WatchdogArg}
	}
	rt, err := session.OpenRuntime(ctx, dataDir, cfg, session.RuntimeOptions{
		Watchdog: watchdog, Subreaper: goruntime.GOOS == "linux", Logger: log,
	})
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		return 1
	}
	if len(rt.Swept) > 0 {
		log.Info("killed processes a previous corral left behind", "count", len(rt.Swept))
	}
	if n := len(rt.Recovered.InterruptedSessions) + len(rt.Recovered.ClosedRuns); n > 0 {
		log.Info("recovered from an unclean stop", "sessions", rt.Recovered.InterruptedSessions, "runs", len(rt.Recovered.ClosedRuns))
	}
	var extras *serveExtras
	closeRT := func() int {
		extras.close()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := rt.Close(sctx); err != nil {
			log.Error("shutdown", "err", err)
			return 1
		}
		return 0
	}
	sched, err := schedule.StartRuntime(ctx, rt, log)
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		closeRT()
		return 1
	}
	if extras, err = startServeExtras(ctx, rt, o.fleet, dataDir, log); err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		closeRT()
		return 1
	}
	o.apiOpts = append(o.apiOpts, extras.opts...)
	srv, ln, err := listenServe(rt, sched, o, cands, servedOver{loopback: loopback, tls: rtls, proxies: proxies}, token, log)
	if err != nil {
		fmt.Fprintln(stderr, "corral:", err)
		closeRT()
		return 1
	}
	return serveUntilDone(ctx, rt, srv, ln, o, cfg, dataDir, token, servedOver{loopback: loopback, tls: rtls}, closeRT, stdout, log)
}

// serveExtras are the parts serve starts beside the runtime when they
// are configured: Web Push and the fleet hub.
type serveExtras struct {
	opts   []api.Option
	closes []func()
}

// close stops them in reverse order, once; they use the runtime's store,
// so it runs before the runtime closes.
func (e *serveExtras) close() {
	if e == nil {
		return
	}
	for i := len(e.closes) - 1; i >= 0; i-- {
		e.closes[i]()
	}
	e.closes = nil
}

// startServeExtras starts Web Push (when it can) and, with --fleet, the
// hub; it returns the API options that expose them. On error nothing it
// started is left running.
func startServeExtras(ctx context.Context, rt *session.Runtime, f fleetFlags, dataDir string, log *slog.Logger) (*serveExtras, error) {
	e := &serveExtras{}
	if ps := startPush(ctx, rt, dataDir, log); ps != nil {
		e.closes = append(e.closes, func() { ps.Close() })
		e.opts = append(e.opts, api.WithPush(ps))
	}
	presence := relay.NewPresence(rt.Store, func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) })
	hub, err := startFleet(ctx, f, dataDir, log, presence.OnChange)
	if err != nil {
		e.close()
		return nil, err
	}
	if hub != nil {
		e.closes = append(e.closes, func() { hub.Close() })
		stop, opts, err := startHubRelay(ctx, hub, rt, presence, log)
		if err != nil {
			e.close()
			return nil, err
		}
		e.closes = append(e.closes, stop)
		e.opts = append(e.opts, opts...)
	}
	return e, nil
}

// servedOver is how the server is reached: on loopback or not, over TLS
// or not, behind which proxies.
type servedOver struct {
	loopback bool
	tls      *remoteTLS
	proxies  []netip.Prefix
}

// listenServe builds the HTTP transport over rt and binds the first of
// cands that works.
func listenServe(rt *session.Runtime, sched *schedule.Scheduler, o serveOptions, cands []string, over servedOver, token string, log *slog.Logger) (*api.Server, net.Listener, error) {
	var static fs.FS = web.FS()
	if _, err := fs.Stat(static, "index.html"); err != nil {
		log.Warn("the frontend is not built into this binary; serving the API only")
		static = nil
	}
	var allowed []string
	for _, h := range strings.Split(o.hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			allowed = append(allowed, h)
		}
	}
	if !over.loopback {
		allowed = append(allowed, localHostNames(cands[0])...)
	}
	devOpts := api.DevicesOptions{}
	var caPEM []byte
	if over.tls != nil {
		devOpts.CAFingerprint, caPEM = over.tls.fingerprint, over.tls.caPEM
	}
	devices := api.NewDevices(rt.Store, devOpts)
	srv, err := api.NewServer(api.ServerOptions{
		API: api.New(rt.Manager, api.ProcessService{Policy: rt.Policy, Supervisor: rt.Supervisor}, append([]api.Option{api.WithEventLog(rt.Store), api.WithSessionTitles(rt.Store), api.WithUsage(rt.Store),
			api.WithConfigReload(rt.Reload), api.WithScheduler(sched), api.WithDevices(devices)}, o.apiOpts...)...),
		Events: api.BusSource{Bus: rt.Bus}, Head: rt.Store.LastCursor, Token: token, Static: static, Logger: log,
		AllowedHosts: allowed, Devices: devices, TrustedProxies: over.proxies, CACert: caPEM,
	})
	if err != nil {
		return nil, nil, err
	}
	var ln net.Listener
	for i, a := range cands {
		if ln, err = net.Listen("tcp", a); err == nil {
			break
		}
		if i+1 < len(cands) {
			log.Info("the last port is taken; picking another", "addr", a, "err", err)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	srv.SetBoundAddr(ln.Addr().String())
	if over.tls != nil {
		devices.SetBaseURL(baseURL(ln.Addr()))
		ln = tls.NewListener(ln, over.tls.config)
	}
	return srv, ln, nil
}

// serveUntilDone serves on ln until ctx ends or the server fails, then
// stops in order.
func serveUntilDone(ctx context.Context, rt *session.Runtime, srv *api.Server, ln net.Listener, o serveOptions, cfg *config.Config,
	dataDir, token string, over servedOver, closeRT func() int, stdout io.Writer, log *slog.Logger) int {
	port := ln.Addr().(*net.TCPAddr).Port
	host := "127.0.0.1"
	if h, _, _ := net.SplitHostPort(cands0(o, cfg)); over.tls != nil && h != "" && !net.ParseIP(h).IsUnspecified() {
		host = h // over TLS the certificate names the bound address
	}
	if !over.loopback {
		if h, _, _ := net.SplitHostPort(cands0(o, cfg)); h != "" && !net.ParseIP(h).IsUnspecified() {
			host = h // bound to one address: that is the URL; else loopback works too
		}
		log.Warn("serving on a non-loopback address: anyone who can reach it and knows the token controls your agents", "addr", ln.Addr().String())
	} else if h, _, _ := net.SplitHostPort(ln.Addr().String()); h == "::1" {
		host = "[::1]"
	}
	scheme, caPath := "http", ""
	if over.tls != nil {
		scheme, caPath = "https", over.tls.caPath
	}
	url := scheme + "://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port)) + "/#token=" + token

	hs := &http.Server{Handler: srv, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	srv.Configure(hs) // header timeout, header size, idle timeout, the cap on unauthenticated connections
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	if o.addr == "" && cfg.Server.Addr == "" {
		if err := writePort(dataDir, port); err != nil {
			log.Warn("cannot remember the port", "err", err)
		}
	}
	infoPath := filepath.Join(dataDir, ServeFile)
	if err := writeServeInfo(infoPath, serveInfo{URL: url, Port: port, Token: token, PID: os.Getpid(), CACert: caPath}); err != nil {
		log.Warn("cannot write serve.json", "err", err)
	}
	defer os.Remove(infoPath)

	// Often enough that the cap on idle agents holds within seconds.
	janitor := time.NewTicker(15 * time.Second)
	defer janitor.Stop()
	rt.Manager.StartJanitor(janitor.C)
	hup, stopHUP := notifyHUP()
	defer stopHUP()
	go watchConfig(ctx, cfg.Path, rt, hup, log)
	fmt.Fprintf(stdout, "corral is serving at %s\n", url)
	log.Info("serving", "addr", ln.Addr().String(), "data", dataDir, "pid", os.Getpid())
	if !o.noOpen && !cfg.Server.NoOpen {
		if err := openBrowser(url); err != nil {
			log.Warn("cannot open a browser; open the URL yourself", "err", err)
		}
	}

	select {
	case <-ctx.Done():
		log.Info("stopping")
	case err := <-served:
		log.Error("server failed", "err", err)
	}
	// Stop accepting first; then stop every process tree and flush the
	// store (which also ends the event streams); then wait for handlers.
	shut := make(chan error, 1)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	go func() { shut <- hs.Shutdown(sctx) }()
	code := closeRT()
	if err := <-shut; err != nil && !errors.Is(err, http.ErrServerClosed) {
		hs.Close()
	}
	log.Info("stopped")
	return code
}

// cands0 is the configured listen address (the flag, else the config).
func cands0(o serveOptions, cfg *config.Config) string {
	if o.addr != "" {
		return o.addr
	}
	return cfg.Server.Addr
}

// listenCandidates returns the addresses to try, in order: the configured
// address (--addr, else [server] addr) alone; else the port of the last
// start on loopback, then any free loopback port.
func listenCandidates(flagAddr, cfgAddr string, lastPort int) []string {
	if flagAddr != "" {
		return []string{flagAddr}
	}
	if cfgAddr != "" {
		return []string{cfgAddr}
	}
	if lastPort > 0 && lastPort < 65536 {
		return []string{"127.0.0.1:" + strconv.Itoa(lastPort), "127.0.0.1:0"}
	}
	return []string{"127.0.0.1:0"}
}

// readPort returns the port remembered in dataDir, 0 if none.
func readPort(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, PortFile))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

// writePort remembers port in dataDir for the next start.
func writePort(dataDir string, port int) error {
	if readPort(dataDir) == port {
		return nil
	}
	return writeFileAtomic(filepath.Join(dataDir, PortFile), []byte(strconv.Itoa(port)+"\n"))
}

// serveToken returns the token of this start: from tokenFile if given,
// else from the data directory's token file; either is created with a
// fresh token if missing, and replaced by one with rotate.
func serveToken(dataDir, tokenFile string, rotate bool) (string, error) {
	path := tokenFile
	if path == "" {
		path = filepath.Join(dataDir, TokenFile)
	}
	if rotate {
		t := api.NewToken()
		if err := writeFileAtomic(path, []byte(t+"\n")); err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		return t, nil
	}
	return loadToken(path)
}

// describeLockErr turns a refused data-directory lock into a message that
// says where the running corral is: its URL from serve.json when that is
// the lock holder's.
func describeLockErr(err error, dataDir string) string {
	var held *datalock.HeldError
	if !errors.As(err, &held) {
		return err.Error()
	}
	msg := held.Error()
	if b, rerr := os.ReadFile(filepath.Join(dataDir, ServeFile)); rerr == nil {
		var si serveInfo
		if json.Unmarshal(b, &si) == nil && si.URL != "" && (held.Owner.PID == 0 || si.PID == held.Owner.PID) {
			msg += ", serving at " + si.URL
		}
	}
	return msg + "; open that one, or stop it first (one corral per data directory; --data picks another)"
}

// isLoopbackAddr reports whether host:port names a loopback host.
func isLoopbackAddr(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	if host == "" {
		return false, nil // ":8080" listens on every interface
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false, fmt.Errorf("%q: use an IP address", host)
	}
	return ip.IsLoopback(), nil
}

// localHostNames are the addresses a remote browser may put in the Host
// header to reach a non-loopback listener: the bound IP, or every interface
// address when bound to all of them (0.0.0.0, ::).
func localHostNames(addr string) []string {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	if host != "" && (ip == nil || !ip.IsUnspecified()) {
		return []string{host}
	}
	var out []string
	if as, err := net.InterfaceAddrs(); err == nil {
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok {
				out = append(out, n.IP.String())
			}
		}
	}
	if h, err := os.Hostname(); err == nil {
		out = append(out, h)
	}
	return out
}

// loadToken reads a token from path, creating the file (mode 0600) with a
// fresh token if it does not exist. On Unix a file that users other than
// its owner may read or write is refused (*TokenModeError).
func loadToken(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t := api.NewToken()
		if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		return t, nil
	}
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if err := checkTokenMode(path, fi); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if len(t) < api.MinTokenLen {
		return "", fmt.Errorf("token file %s: the token must have at least %d characters", path, api.MinTokenLen)
	}
	return t, nil
}

// writeServeInfo writes serve.json atomically with mode 0600 (it holds the token).
func writeServeInfo(path string, in serveInfo) error {
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// writeFileAtomic writes b to path with mode 0600 via a temporary file and
// a rename, so a reader never sees it half written.
func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && goruntime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
