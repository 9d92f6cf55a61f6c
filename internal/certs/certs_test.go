package certs

import (
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestCAIsCreatedOnceAndVerifiesTheServerCertificate(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(dir, CAKeyFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("ca.key: %v %v, want mode 0600", fi.Mode(), err)
		}
	}
	if ca.Key.Curve != elliptic.P256() {
		t.Fatalf("curve %s", ca.Key.Curve.Params().Name)
	}
	again, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint() != ca.Fingerprint() || len(ca.Fingerprint()) != 95 {
		t.Fatalf("fingerprint %q then %q", ca.Fingerprint(), again.Fingerprint())
	}
	names := Names{DNS: []string{"localhost", "box"}, IPs: []net.IP{net.ParseIP("127.0.0.2")}}
	srv, err := NewServer(ca, dir, names, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf := srv.Leaf()
	for _, name := range []string{"box", "127.0.0.2", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: name}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "other.example"}); err == nil {
		t.Error("the certificate verified for a name it does not carry")
	}
	// A second start reuses the kept certificate.
	srv2, err := NewServer(ca, dir, names, nil)
	if err != nil {
		t.Fatal(err)
	}
	if srv2.Leaf().SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Error("a valid kept certificate was issued again")
	}
}

func TestServerCertificateIsRenewedBeforeExpiry(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	srv, err := NewServer(ca, dir, Names{DNS: []string{"localhost"}}, clock)
	if err != nil {
		t.Fatal(err)
	}
	first := srv.Leaf()
	now = now.Add(ServerLifetime * 3 / 4) // less than a third left
	c, err := srv.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Leaf.SerialNumber.Cmp(first.SerialNumber) == 0 || !c.Leaf.NotAfter.After(first.NotAfter) {
		t.Fatalf("not renewed: %v -> %v", first.NotAfter, c.Leaf.NotAfter)
	}
}

func TestNeedsRenewal(t *testing.T) {
	ca, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	want := Names{DNS: []string{"a"}, IPs: []net.IP{net.ParseIP("10.0.0.1")}}
	der, _, err := ca.Issue(want, now)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	cases := []struct {
		name string
		ca   *x509.Certificate
		want Names
		at   time.Time
		need bool
	}{
		{"fresh", ca.Cert, want, now, false},
		{"two thirds used", ca.Cert, want, now.Add(ServerLifetime * 2 / 3).Add(time.Hour * 2), true},
		{"expired", ca.Cert, want, now.Add(ServerLifetime + time.Hour), true},
		{"new address", ca.Cert, Names{IPs: []net.IP{net.ParseIP("10.0.0.2")}}, now, true},
		{"other CA", other.Cert, want, now, true},
	}
	for _, tc := range cases {
		if got := NeedsRenewal(c, tc.ca, tc.want, tc.at); got != tc.need {
			t.Errorf("%s: NeedsRenewal = %v, want %v", tc.name, got, tc.need)
		}
	}
}

func TestKeyReadableByOthersIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	dir := t.TempDir()
	if _, err := LoadOrCreateCA(dir); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, CAKeyFile), 0o644)
	if _, err := LoadOrCreateCA(dir); err == nil {
		t.Fatal("a CA key of mode 0644 was accepted")
	}
}

func TestMachineNamesHoldTheBoundAddress(t *testing.T) {
	n := MachineNames("127.0.0.2:8443")
	found := false
	for _, ip := range n.IPs {
		found = found || ip.Equal(net.ParseIP("127.0.0.2"))
	}
	if !found || n.DNS[0] != "localhost" {
		t.Fatalf("names %+v", n)
	}
}
