package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// server validates the [server] table: tls_cert and tls_key come together
// ("~" expanded), and every trusted_proxies entry is an address or a CIDR.
func (v *validator) server(raw rawServer) (Server, error) {
	s := Server{Addr: raw.Addr, NoOpen: raw.NoOpen, Remote: raw.Remote}
	if (raw.TLSCert == "") != (raw.TLSKey == "") {
		return Server{}, fmt.Errorf("%s: [server]: tls_cert and tls_key must be set together", v.name)
	}
	s.TLSCert, s.TLSKey = v.expandHome(raw.TLSCert), v.expandHome(raw.TLSKey)
	if s.TLSCert != "" {
		s.Remote = true
	}
	for _, p := range raw.TrustedProxies {
		if err := CheckProxy(p); err != nil {
			return Server{}, fmt.Errorf("%s: [server]: trusted_proxies: %v", v.name, err)
		}
		s.TrustedProxies = append(s.TrustedProxies, strings.TrimSpace(p))
	}
	return s, nil
}

// CheckProxy accepts an IP address or a CIDR prefix.
func CheckProxy(p string) error {
	p = strings.TrimSpace(p)
	if _, err := netip.ParsePrefix(p); err == nil {
		return nil
	}
	if _, err := netip.ParseAddr(p); err == nil {
		return nil
	}
	return fmt.Errorf("%q is not an IP address or CIDR", p)
}

func (v *validator) expandHome(p string) string {
	if v.home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return v.home + p[1:]
	}
	return p
}
