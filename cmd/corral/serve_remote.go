package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corral-dev/corral/api"
	"github.com/corral-dev/corral/config"
	"github.com/corral-dev/corral/internal/certs"
)

// CertsDir is the directory of the data directory that holds the local CA
// and the server certificate it issued.
const CertsDir = "certs"

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// remoteTLS is what serving over TLS needs.
type remoteTLS struct {
	config *tls.Config
	// caPEM, caPath and fingerprint describe the local CA; empty with a
	// user-provided certificate.
	caPEM       []byte
	caPath      string
	fingerprint string
}

// ErrPlainRemote refuses plain HTTP on a non-loopback address.
var ErrPlainRemote = errors.New("plain HTTP is served only on loopback")

// wantRemote is the transport decision: TLS when --remote (or the older
// --allow-remote), [server] remote, or a certificate is given; a
// non-loopback address without it is refused (ErrPlainRemote).
func wantRemote(o serveOptions, cfg *config.Config, loopback bool) (bool, error) {
	remote := o.remote || o.allowRemote || cfg.Server.Remote || o.tlsCert != "" || cfg.Server.TLSCert != ""
	if !loopback && !remote {
		return false, ErrPlainRemote
	}
	return remote, nil
}

// serveTransport decides TLS or not (wantRemote) and parses the trusted
// proxies, with errors worded for the command line.
func serveTransport(o serveOptions, cfg *config.Config, addr string, loopback bool) (bool, []netip.Prefix, error) {
	remote, err := wantRemote(o, cfg, loopback)
	if err != nil {
		return false, nil, fmt.Errorf("%s is not a loopback address and %w; pass --remote to serve it over TLS (docs/remote.md)", addr, err)
	}
	proxies, err := trustedProxies(o, cfg)
	if err != nil {
		return false, nil, fmt.Errorf("--trusted-proxy: %w", err)
	}
	return remote, proxies, nil
}

// trustedProxies parses --trusted-proxy and [server] trusted_proxies.
func trustedProxies(o serveOptions, cfg *config.Config) ([]netip.Prefix, error) {
	return api.ParseTrustedProxies(append(append([]string(nil), cfg.Server.TrustedProxies...), o.proxies...))
}

// setupTLS loads the user's certificate (--tls-cert/--tls-key, else
// [server] tls_cert/tls_key), or else the local CA of dataDir (created at
// the first start) and its server certificate for this machine's names and
// bind's address, renewed before it expires.
func setupTLS(o serveOptions, cfg *config.Config, dataDir, bind string, stdout io.Writer, log *slog.Logger) (*remoteTLS, error) {
	certFile, keyFile := o.tlsCert, o.tlsKey
	if certFile == "" && keyFile == "" {
		certFile, keyFile = cfg.Server.TLSCert, cfg.Server.TLSKey
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key must be given together")
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	if certFile != "" {
		pair, err := certs.LoadKeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{pair}
		return &remoteTLS{config: tc}, nil
	}
	dir := filepath.Join(dataDir, CertsDir)
	ca, err := certs.LoadOrCreateCA(dir)
	if err != nil {
		return nil, err
	}
	srv, err := certs.NewServer(ca, dir, certs.MachineNames(bind), nil)
	if err != nil {
		return nil, err
	}
	tc.GetCertificate = srv.GetCertificate
	caPath := filepath.Join(dir, certs.CACertFile)
	fmt.Fprintf(stdout, "corral's certificate authority: %s (SHA-256 %s)\n", caPath, ca.Fingerprint())
	log.Info("serving over TLS with the local CA", "ca", caPath, "fingerprint", ca.Fingerprint(), "until", srv.Leaf().NotAfter)
	return &remoteTLS{config: tc, caPEM: ca.PEM, caPath: caPath, fingerprint: ca.Fingerprint()}, nil
}

// pairingHost is the host a device on the network uses to reach a server
// bound to bound: the bound address itself, or, bound to every interface,
// the first non-loopback IPv4 address of ifaddrs (then any non-loopback
// one; then 127.0.0.1).
func pairingHost(bound string, ifaddrs []net.IP) string {
	host, _, err := net.SplitHostPort(bound)
	if err != nil {
		host = bound
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		return host
	}
	var fallback string
	for _, ip := range ifaddrs {
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			continue
		}
		if ip.To4() != nil {
			return ip.String()
		}
		if fallback == "" {
			fallback = ip.String()
		}
	}
	if fallback != "" {
		return fallback
	}
	return "127.0.0.1"
}

// baseURL is the https URL devices pair with.
func baseURL(bound net.Addr) string {
	var ips []net.IP
	if as, err := net.InterfaceAddrs(); err == nil {
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok {
				ips = append(ips, n.IP)
			}
		}
	}
	port := bound.(*net.TCPAddr).Port
	return "https://" + net.JoinHostPort(pairingHost(bound.String(), ips), strconv.Itoa(port))
}
