package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// ServerOptions configure the browser-mode transport.
type ServerOptions struct {
	// API is the facade whose methods are served at POST /api/call/{Method}.
	API *API
	// Events feeds GET /api/events. Nil serves 404 there.
	Events EventSource
	// Token is the bearer token every call and event stream must present.
	// It must be at least 16 characters (NewToken makes 32).
	Token string
	// Head returns the newest committed cursor, for ?since=now; nil
	// refuses "now".
	Head func() (int64, error)
	// Static is the built frontend (index.html, assets/...). Nil serves
	// only the API.
	Static fs.FS
	// Logger receives request failures; nil discards.
	Logger *slog.Logger
	// MaxBody caps a call's request body; larger bodies get 413. Default 1 MiB.
	MaxBody int64
	// BodyTimeout bounds the time a call's body may take to arrive once
	// its headers were accepted; a slower one gets 408 and the connection
	// is closed. Default 10 s.
	BodyTimeout time.Duration
	// MaxPendingConns caps the open connections that have not presented
	// the token (see Configure); beyond it the oldest of them is closed.
	// Default 256. It is lowered to a quarter of OpenFilesLimit, so that
	// such connections cannot take the descriptors the rest of corral and
	// the token holder need.
	MaxPendingConns int
	// OpenFilesLimit returns the process's open-files limit now, 0 when
	// unknown; it is asked when a connection arrives. Default: the soft
	// RLIMIT_NOFILE on Unix, unknown elsewhere.
	OpenFilesLimit func() uint64
	// Heartbeat is the interval of keep-alive comments on the event
	// stream. Default 15 s.
	Heartbeat time.Duration
	// NewTicker makes the heartbeat ticker; tests inject their own clock.
	// Default time.NewTicker.
	NewTicker func(d time.Duration) (c <-chan time.Time, stop func())
	// WriteTimeout bounds each write to an event stream: a client that
	// does not read for this long is disconnected (it resumes from its
	// last id when it comes back). Default 30 s.
	WriteTimeout time.Duration
	// AllowedHosts are extra host names (without port) accepted in the Host
	// header besides loopback names and the bound address, for a server
	// deliberately exposed under a name.
	AllowedHosts []string
	// Devices, when set, accepts the tokens of paired devices besides
	// Token, serves POST /api/pair, and closes a revoked device's event
	// streams (devices.go).
	Devices *Devices
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-Proto, -Host and -For headers are believed (proxy.go);
	// from any other address they are ignored.
	TrustedProxies []netip.Prefix
	// CACert, when set, is served at GET /ca.crt (PEM, no token needed):
	// the local CA a paired device installs to trust the server.
	CACert []byte
}

// Server is the HTTP transport. It is an http.Handler.
type Server struct {
	opts    ServerOptions
	token   []byte
	methods map[string]*Method
	mux     *http.ServeMux
	log     *slog.Logger

	mu    sync.RWMutex
	bound map[string]bool // host names of the bound address

	frames frameCache
	guard  *connGuard
}

// MinTokenLen is the shortest token a Server accepts.
const MinTokenLen = 16

// NewToken returns a fresh random token: 24 random bytes, base64url (32
// characters), safe in a URL fragment.
func NewToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("api: no randomness: " + err.Error()) // crypto/rand never fails on supported OSes
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewServer returns the transport over opts.API.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.API == nil {
		return nil, errors.New("api: ServerOptions.API is nil")
	}
	if len(opts.Token) < MinTokenLen {
		return nil, fmt.Errorf("api: the token must have at least %d characters", MinTokenLen)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.NewTicker == nil {
		opts.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 30 * time.Second
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = 10 * time.Second
	}
	if opts.MaxPendingConns <= 0 {
		opts.MaxPendingConns = 256
	}
	if opts.OpenFilesLimit == nil {
		opts.OpenFilesLimit = openFilesLimit
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:    opts,
		token:   []byte(opts.Token),
		methods: methodTable(opts.API),
		log:     log,
		bound:   map[string]bool{},
		guard:   newConnGuard(opts.MaxPendingConns, opts.OpenFilesLimit),
	}
	for _, h := range opts.AllowedHosts {
		s.bound[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/call/{method}", s.handleCall)
	mux.HandleFunc("GET /api/events", s.handleEvents)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/call/") || r.URL.Path == "/api/events" {
			w.Header().Set("Allow", map[bool]string{true: "POST", false: "GET"}[r.URL.Path != "/api/events"])
			refuse(w, Errorf(CodeInvalidArgument, "method %s not allowed on %s", r.Method, r.URL.Path), http.StatusMethodNotAllowed)
			return
		}
		refuse(w, &Error{Code: CodeNotFound, Message: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	if opts.CACert != nil {
		mux.HandleFunc("GET /ca.crt", s.handleCACert)
	}
	mux.HandleFunc("/", s.handleStatic)
	s.mux = mux
	return s, nil
}

// Served returns the names of the methods served at /api/call, sorted.
func (s *Server) Served() []string {
	out := make([]string, 0, len(s.methods))
	for n := range s.methods {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

// SetBoundAddr tells the server the address it listens on, so that the
// Host header may name it (e.g. "192.168.1.5:8080" when bound there).
func (s *Server) SetBoundAddr(addr string) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	s.mu.Lock()
	s.bound[strings.ToLower(strings.Trim(host, "[]"))] = true
	s.mu.Unlock()
}

// ServeHTTP applies the security checks, in this order, then routes:
//
//  1. security headers on every response;
//  2. Host must be a loopback name or the bound address (else 403: a DNS
//     rebinding page has its own name in Host);
//  3. a present Origin must be this server's own origin, https:// over TLS
//     (else 403: a foreign page's request);
//  4. under /api/, a token in the query string (a parameter named token or
//     access_token, in any case) is refused (401); POST /api/pair (with
//     Devices) needs no token; everything else requires the bearer token
//     (401): the per-start token, compared in constant time, or a paired
//     device's. The request's context then carries the Device (DeviceFrom).
//
// Behind a TrustedProxies address, the Host and scheme of checks 2 and 3
// are the proxy's X-Forwarded-Host and X-Forwarded-Proto (proxy.go).
// Every check is made on the headers alone: a refused request is answered
// before its body is read, and its connection is closed without reading
// the body (see refuse). A request to the frontend that carries a body
// (which the frontend never reads) is answered the same way. A request
// that passes the token check marks its connection as authenticated for
// the pending-connection cap.
//
// The static frontend needs no token (a browser cannot send a header when
// it loads a page); it contains no data.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")

	fw := s.forwardedFor(r)
	if !s.hostAllowed(fw.host) {
		s.log.Warn("refused request with a foreign Host header", "host", fw.host, "path", r.URL.Path)
		refuse(w, &Error{Code: CodeUnauthorized, Message: "forbidden host"}, http.StatusForbidden)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != fw.origin() {
		s.log.Warn("refused cross-origin request", "origin", o, "path", r.URL.Path)
		refuse(w, &Error{Code: CodeUnauthorized, Message: "forbidden origin"}, http.StatusForbidden)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		if tokenInQuery(r.URL.Query()) {
			refuse(w, &Error{Code: CodeUnauthorized, Message: "the token is accepted only in the Authorization header"})
			return
		}
		if r.URL.Path == "/api/pair" && s.opts.Devices != nil {
			s.handlePair(w, r, fw.client)
			return
		}
		dev, ok := s.authenticate(r)
		if !ok {
			refuse(w, &Error{Code: CodeUnauthorized, Message: "missing or wrong bearer token"})
			return
		}
		if c := connOf(r.Context()); c != nil {
			s.guard.trust(c)
		}
		ctx := withOrigin(WithDevice(r.Context(), dev), fw.origin())
		if r.URL.Path == "/api/events" && !dev.IsHost() && s.opts.Devices != nil {
			// Revoking the device ends the stream.
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			defer s.opts.Devices.trackStream(dev.ID, cancel)()
		}
		r = r.WithContext(ctx)
	} else if r.ContentLength != 0 {
		// The frontend never reads a body (and needs no token): answer
		// without waiting for one, and close.
		dropBody(w)
	}
	s.mux.ServeHTTP(w, r)
}

// tokenInQuery reports a query parameter that looks like a credential:
// token or access_token, compared without case.
func tokenInQuery(q url.Values) bool {
	for k := range q {
		if strings.EqualFold(k, "token") || strings.EqualFold(k, "access_token") {
			return true
		}
	}
	return false
}

// loopbackNames are the Host names always accepted.
var loopbackNames = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}

func (s *Server) hostAllowed(hostport string) bool {
	if hostport == "" {
		return false
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if loopbackNames[host] {
		return true
	}
	s.mu.RLock()
	ok := s.bound[host]
	s.mu.RUnlock()
	return ok
}

// authenticate returns the device of the request's bearer token: the host
// for the per-start token (compared in constant time), else a paired
// device (Devices), else ok false.
func (s *Server) authenticate(r *http.Request) (Device, bool) {
	const prefix = "bearer "
	a := r.Header.Get("Authorization")
	if len(a) <= len(prefix) || !strings.EqualFold(a[:len(prefix)], prefix) {
		return Device{}, false
	}
	tok := strings.TrimSpace(a[len(prefix):])
	if subtle.ConstantTimeCompare([]byte(tok), s.token) == 1 {
		return Device{ID: HostDeviceID}, true
	}
	if s.opts.Devices != nil {
		return s.opts.Devices.Authenticate(r.Context(), tok)
	}
	return Device{}, false
}

// ---------------------------------------------------------------- calls

func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	m, ok := s.methods[name]
	if !ok {
		refuse(w, Errorf(CodeNotFound, "no such method %q", name))
		return
	}
	limit := s.opts.API.bodyLimit(name, s.opts.MaxBody)
	if r.ContentLength > limit {
		refuse(w, Errorf(CodeInvalidArgument, "request body is larger than %d bytes", limit), http.StatusRequestEntityTooLarge)
		return
	}
	body, err := s.readBody(w, r, limit)
	if err != nil {
		var tooBig *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooBig):
			refuse(w, Errorf(CodeInvalidArgument, "request body is larger than %d bytes", limit), http.StatusRequestEntityTooLarge)
		case errors.As(err, &ne) && ne.Timeout():
			refuse(w, Errorf(CodeInvalidArgument, "the request body did not arrive within %v", s.opts.BodyTimeout), http.StatusRequestTimeout)
		default:
			refuse(w, Errorf(CodeInvalidArgument, "cannot read the request body: %v", err))
		}
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = nil
	}
	res, err := m.Call(r.Context(), body)
	if err != nil {
		ae := AsError(err)
		if ae.Code == CodeInternal && !isCtxErr(err) {
			s.log.Error("call failed", "method", name, "err", err)
		}
		writeError(w, ae)
		return
	}
	buf := getBuf()
	defer putBuf(buf)
	buf.WriteString(`{"result":`)
	if r, ok := res.(rawJSONer); ok && r.RawJSON() != nil {
		// Already encoded (and valid: it came from encoding/json).
		buf.Write(r.RawJSON())
	} else {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			s.log.Error("cannot encode a result", "method", name, "err", err)
			writeError(w, Errorf(CodeInternal, "cannot encode the result of %s", name))
			return
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	buf.WriteString("}\n")
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.Write(buf.Bytes()) // error ignored: the client went away
}

// readBody reads a call's body within BodyTimeout. The deadline does not
// outlive the body: when the body reaches its end, net/http clears the
// read deadline to watch for the client going away while the call runs.
// A request without a body (Content-Length 0) gets no deadline at all:
// net/http is already watching its connection, and nothing would clear a
// deadline set now, so the call would be cancelled BodyTimeout after it
// began.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength == 0 {
		return nil, nil
	}
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return nil, err
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// refuse sends an error for a request whose body was not (entirely) read,
// and closes its connection without reading the rest: net/http would
// otherwise read up to 256 KiB of an unread body before answering, at
// whatever pace the client sends it.
func refuse(w http.ResponseWriter, e *Error, status ...int) {
	dropBody(w)
	writeError(w, e, status...)
}

// dropBody makes the answer to a request whose body will not be read close
// the connection instead of reading the body first.
func dropBody(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	// Past deadline: the body is not waited for after the reply either.
	http.NewResponseController(w).SetReadDeadline(time.Now()) // error ignored: a writer without deadlines (a test recorder) has no connection to hold
}

// rawJSONer is a result that carries its own JSON encoding.
type rawJSONer interface{ RawJSON() []byte }

// writeError sends {"error": e} with the status of its code, or status
// when given.
func writeError(w http.ResponseWriter, e *Error, status ...int) {
	st := HTTPStatus(e.Code)
	if len(status) > 0 {
		st = status[0]
	}
	b, _ := json.Marshal(struct {
		Error *Error `json:"error"`
	}{e})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if st == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="corral"`)
	}
	w.WriteHeader(st)
	w.Write(append(b, '\n')) // error ignored: the client went away
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { b := bufPool.Get().(*bytes.Buffer); b.Reset(); return b }

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 { // do not keep a huge result's buffer alive
		bufPool.Put(b)
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// ---------------------------------------------------------------- static files

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.opts.Static == nil {
		http.Error(w, "the frontend is not part of this build; the API is at /api/", http.StatusNotFound)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	f, err := s.opts.Static.Open(name)
	if err != nil && !strings.Contains(path.Base(name), ".") {
		// A client-side route (/sessions/abc): the app handles it.
		name = "index.html"
		f, err = s.opts.Static.Open(name)
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, "cannot read "+name, http.StatusInternalServerError)
			return
		}
		rs = bytes.NewReader(b)
	}
	if ct, ok := staticTypes[path.Ext(name)]; ok {
		w.Header().Set("Content-Type", ct)
	}
	if strings.HasPrefix(name, "assets/") {
		// Vite names every bundle after its content hash: a changed file
		// has a new name, so the old one may be cached forever.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, st.ModTime(), rs)
}

// staticTypes are the content types of the frontend's files that the
// system's MIME table may not know: the web app manifest and the service
// worker (a browser registers a worker only when served as JavaScript).
var staticTypes = map[string]string{
	".webmanifest": "application/manifest+json",
	".js":          "text/javascript; charset=utf-8",
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
