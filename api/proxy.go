package api

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// forwarded is how the client reached the server: the scheme and Host it
// used and its address. Behind a trusted proxy these come from the
// proxy's X-Forwarded-* headers; otherwise from the connection.
type forwarded struct {
	scheme string // "http" or "https"
	host   string // host[:port], as in the Host header
	client string // the client's IP address
}

// origin is the Origin a page of this server sends: scheme://host.
func (f forwarded) origin() string { return f.scheme + "://" + f.host }

// forwardedFor returns how r's client reached the server. X-Forwarded-Proto,
// X-Forwarded-Host and X-Forwarded-For are believed only when the
// connection comes from a TrustedProxies address; the client is then the
// right-most X-Forwarded-For entry that is not itself a trusted proxy.
func (s *Server) forwardedFor(r *http.Request) forwarded {
	f := forwarded{scheme: "http", host: r.Host, client: remoteIP(r.RemoteAddr)}
	if r.TLS != nil {
		f.scheme = "https"
	}
	if len(s.opts.TrustedProxies) == 0 || !s.trusted(f.client) {
		return f
	}
	if p := strings.ToLower(strings.TrimSpace(firstField(r.Header.Get("X-Forwarded-Proto")))); p == "http" || p == "https" {
		f.scheme = p
	}
	if h := strings.TrimSpace(firstField(r.Header.Get("X-Forwarded-Host"))); h != "" {
		f.host = h
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		hops := strings.Split(strings.Join(xff, ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			ip := strings.TrimSpace(hops[i])
			if ip == "" {
				continue
			}
			f.client = ip
			if !s.trusted(ip) {
				break
			}
		}
	}
	return f
}

// trusted reports whether ip is in TrustedProxies.
func (s *Server) trusted(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func firstField(v string) string {
	if i := strings.IndexByte(v, ','); i >= 0 {
		return v[:i]
	}
	return v
}

func remoteIP(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// ParseTrustedProxies parses CIDRs (or single addresses) for
// ServerOptions.TrustedProxies.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, Errorf(CodeInvalidArgument, "trusted proxy %q: not an address or CIDR", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, Errorf(CodeInvalidArgument, "trusted proxy %q: not an address or CIDR", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// maxPairBody caps POST /api/pair's body.
const maxPairBody = 4 << 10

// handlePair serves POST /api/pair {code, deviceName} → {token, deviceId}
// without a bearer token (see Devices.Pair for the refusals). client is
// the caller's address, for the per-address limit.
func (s *Server) handlePair(w http.ResponseWriter, r *http.Request, client string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		refuse(w, Errorf(CodeInvalidArgument, "method %s not allowed on /api/pair", r.Method), http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > maxPairBody {
		refuse(w, Errorf(CodeInvalidArgument, "request body is larger than %d bytes", maxPairBody), http.StatusRequestEntityTooLarge)
		return
	}
	body, err := s.readBody(w, r, maxPairBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(w, Errorf(CodeInvalidArgument, "request body is larger than %d bytes", maxPairBody), http.StatusRequestEntityTooLarge)
			return
		}
		refuse(w, Errorf(CodeInvalidArgument, "cannot read the request body: %v", err))
		return
	}
	var p PairParams
	if err := decodeStrict(body, &p); err != nil {
		writeError(w, Errorf(CodeInvalidArgument, "pair: bad parameters: %v", err))
		return
	}
	res, err := s.opts.Devices.Pair(r.Context(), client, p)
	if err != nil {
		ae := AsError(err)
		if ae.Code == CodeLimitReached {
			w.Header().Set("Retry-After", "60")
		}
		if ae.Code != CodeInvalidArgument {
			s.log.Warn("refused a pairing", "client", client, "reason", ae.Message)
		}
		writeError(w, ae)
		return
	}
	s.log.Info("paired a device", "device", res.DeviceID, "client", client)
	b, _ := json.Marshal(res)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.Write(append(b, '\n')) // error ignored: the client went away
}

// handleCACert serves the local CA certificate (public: it holds no key).
func (s *Server) handleCACert(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/x-x509-ca-cert")
	h.Set("Content-Disposition", `attachment; filename="corral-ca.crt"`)
	h.Set("Cache-Control", "no-cache")
	w.Write(s.opts.CACert) // error ignored: the client went away
}
