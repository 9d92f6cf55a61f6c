// Package certs is corral's local certificate authority: the CA that signs
// the certificate `corral serve --remote` presents, so that a paired device
// which trusts the CA (GET /ca.crt) can verify the server without a public
// certificate.
//
// The CA (ECDSA P-256, ten years) is created once in a directory (ca.key,
// mode 0600, and ca.crt); the server certificate (ECDSA P-256, 397 days)
// names the machine's host names and addresses, is kept beside it
// (server.key 0600, server.crt) and is issued again when it nears its end
// (a third of its life left), or when it does not name an address asked
// for. A Server serves it through tls.Config.GetCertificate, renewing it
// while running.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// File names in the certificate directory.
const (
	CACertFile     = "ca.crt"
	CAKeyFile      = "ca.key"
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
)

// Lifetimes of what the CA issues.
const (
	CALifetime     = 10 * 365 * 24 * time.Hour
	ServerLifetime = 397 * 24 * time.Hour
)

// CA is the local certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// PEM is the CA certificate as PEM, what GET /ca.crt serves.
	PEM []byte
}

// Fingerprint is the SHA-256 of the CA certificate (DER), upper-case hex
// in pairs separated by colons, as browsers and `openssl x509 -fingerprint
// -sha256` show it.
func (ca *CA) Fingerprint() string { return Fingerprint(ca.Cert) }

// Fingerprint is the SHA-256 of c's DER encoding, formatted as CA.Fingerprint.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// LoadOrCreateCA reads the CA from dir, or creates it there when ca.crt
// and ca.key are both missing (dir is created with mode 0700). One without
// the other, or a key others may read (Unix), is an error: corral does not
// overwrite what it cannot account for.
func LoadOrCreateCA(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	_, cerr := os.Stat(certPath)
	_, kerr := os.Stat(keyPath)
	switch {
	case errors.Is(cerr, os.ErrNotExist) && errors.Is(kerr, os.ErrNotExist):
		return createCA(dir)
	case cerr != nil:
		return nil, fmt.Errorf("certs: %w", cerr)
	case kerr != nil:
		return nil, fmt.Errorf("certs: %w", kerr)
	}
	cert, key, certPEM, err := loadPair(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("certs: %s is not a CA certificate", certPath)
	}
	return &CA{Cert: cert, Key: key, PEM: certPEM}, nil
}

func createCA(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	host, _ := os.Hostname()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "corral local CA " + host, Organization: []string{"corral"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	certPEM, err := writePair(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile), der, key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, PEM: certPEM}, nil
}

// Names are what a server certificate must name: DNS names and IP
// addresses.
type Names struct {
	DNS []string
	IPs []net.IP
}

// MachineNames are the names of this machine a device may use to reach a
// server bound to bound (host:port or host): the host name, localhost, the
// bound IP, and every interface address.
func MachineNames(bound string) Names {
	n := Names{DNS: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	if h, err := os.Hostname(); err == nil && h != "" {
		n.DNS = append(n.DNS, strings.ToLower(h))
	}
	host := bound
	if h, _, err := net.SplitHostPort(bound); err == nil {
		host = h
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && !ip.IsUnspecified() {
		n.IPs = append(n.IPs, ip)
	} else if ip == nil && host != "" {
		n.DNS = append(n.DNS, strings.ToLower(host))
	}
	if as, err := net.InterfaceAddrs(); err == nil {
		for _, a := range as {
			if ipn, ok := a.(*net.IPNet); ok {
				n.IPs = append(n.IPs, ipn.IP)
			}
		}
	}
	return n.dedup()
}

func (n Names) dedup() Names {
	var out Names
	for _, d := range n.DNS {
		if d != "" && !slices.Contains(out.DNS, d) {
			out.DNS = append(out.DNS, d)
		}
	}
	for _, ip := range n.IPs {
		if !slices.ContainsFunc(out.IPs, ip.Equal) {
			out.IPs = append(out.IPs, ip)
		}
	}
	return out
}

// covers reports whether c names every name of n.
func (n Names) covers(c *x509.Certificate) bool {
	for _, d := range n.DNS {
		if !slices.Contains(c.DNSNames, d) {
			return false
		}
	}
	for _, ip := range n.IPs {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// NeedsRenewal is the renewal decision: a certificate is issued again when
// less than a third of its lifetime is left at now, when it does not name
// every name of want, or when it was not issued by ca.
func NeedsRenewal(c *x509.Certificate, ca *x509.Certificate, want Names, now time.Time) bool {
	life := c.NotAfter.Sub(c.NotBefore)
	if c.NotAfter.Sub(now) < life/3 || now.Before(c.NotBefore) {
		return true
	}
	if c.CheckSignatureFrom(ca) != nil {
		return true
	}
	return !want.covers(c)
}

// Issue signs a server certificate for names, valid from now for
// ServerLifetime.
func (ca *CA) Issue(names Names, now time.Time) (der []byte, key *ecdsa.PrivateKey, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	cn := "localhost"
	if len(names.DNS) > 0 {
		cn = names.DNS[len(names.DNS)-1]
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"corral"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(ServerLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names.DNS,
		IPAddresses:  names.IPs,
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	return der, key, nil
}

// Server serves the CA's server certificate for a set of names, issuing
// it (and writing it to its directory) when there is none, and again when
// NeedsRenewal says so, checked at most once a minute.
type Server struct {
	ca    *CA
	dir   string
	names Names
	now   func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	checked time.Time
}

// NewServer loads the server certificate of dir, issuing a new one if it
// is missing or needs renewal. now may be nil (time.Now).
func NewServer(ca *CA, dir string, names Names, now func() time.Time) (*Server, error) {
	if now == nil {
		now = time.Now
	}
	s := &Server{ca: ca, dir: dir, names: names.dedup(), now: now}
	if _, err := s.current(true); err != nil {
		return nil, err
	}
	return s, nil
}

// Leaf returns the certificate being served.
func (s *Server) Leaf() *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cert.Leaf
}

// GetCertificate is tls.Config.GetCertificate: the current certificate,
// renewed first when it needs to be.
func (s *Server) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.current(false)
}

func (s *Server) current(force bool) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !force && s.cert != nil && now.Sub(s.checked) < time.Minute {
		return s.cert, nil
	}
	s.checked = now
	if s.cert == nil {
		certPath, keyPath := filepath.Join(s.dir, ServerCertFile), filepath.Join(s.dir, ServerKeyFile)
		if c, k, _, err := loadPair(certPath, keyPath); err == nil {
			s.cert = &tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: k, Leaf: c}
		}
	}
	if s.cert != nil && !NeedsRenewal(s.cert.Leaf, s.ca.Cert, s.names, now) {
		return s.cert, nil
	}
	der, key, err := s.ca.Issue(s.names, now)
	if err != nil {
		if s.cert != nil {
			return s.cert, nil // keep serving the old one until it can be renewed
		}
		return nil, err
	}
	if _, err := writePair(filepath.Join(s.dir, ServerCertFile), filepath.Join(s.dir, ServerKeyFile), der, key); err != nil && s.cert != nil {
		return s.cert, nil
	} else if err != nil {
		return nil, err
	}
	leaf, _ := x509.ParseCertificate(der)
	s.cert = &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return s.cert, nil
}

// LoadKeyPair reads a user-provided certificate and key (PEM) for
// tls.Config.Certificates, with the leaf parsed.
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: %w", err)
	}
	return c, nil
}

// Pool returns a pool holding only ca's certificate, for a client that
// verifies the server with it.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("certs: no randomness: " + err.Error()) // crypto/rand never fails on supported OSes
	}
	return n
}

// writePair writes a certificate (PEM, mode 0644) and its key (PKCS #8
// PEM, mode 0600), each atomically, and returns the certificate's PEM.
func writePair(certPath, keyPath string, der []byte, key crypto.Signer) ([]byte, error) {
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	return certPEM, nil
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil && !isWindows {
		tmp.Close()
		return fmt.Errorf("certs: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("certs: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	return nil
}

// loadPair reads a PEM certificate and its ECDSA key, refusing a key file
// others may read (see checkKeyMode).
func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("certs: %w", err)
	}
	if err := checkKeyMode(keyPath); err != nil {
		return nil, nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("certs: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, nil, fmt.Errorf("certs: %s or %s is not PEM", certPath, keyPath)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("certs: %s: %w", certPath, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("certs: %s: %w", keyPath, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, nil, fmt.Errorf("certs: %s is not the key of %s", keyPath, certPath)
	}
	return cert, key, bytes.Clone(certPEM), nil
}
