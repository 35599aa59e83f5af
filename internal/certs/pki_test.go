package certs

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var local = Policy{Hosts: Hosts{IPs: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}}

func mustEnsure(t *testing.T, b *Bundle, p Policy, now time.Time) (*Bundle, bool) {
	t.Helper()
	out, changed, err := Ensure(b, p, now)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	return out, changed
}

func parse(t *testing.T, pemData []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(pemData)
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// verify checks that the serving certificate is trusted by the CA bundle for host at now.
func verify(t *testing.T, b *Bundle, host string, now time.Time) error {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.CABundle()) {
		t.Fatal("CA bundle holds no certificate")
	}
	_, err := parse(t, b.Cert).Verify(x509.VerifyOptions{
		DNSName: host, Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

func TestEnsure_NewBundleIsTrustedForItsHosts(t *testing.T) {
	b, changed := mustEnsure(t, nil, local, t0)
	if !changed {
		t.Error("a new bundle must report a change")
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if err := verify(t, b, host, t0); err != nil {
			t.Errorf("serving certificate for %s: %v", host, err)
		}
	}
	if err := verify(t, b, "naas-webhook.naas-system.svc", t0); err == nil {
		t.Error("the serving certificate is trusted for a host it does not name")
	}
	if c := parse(t, b.Cert); c.NotAfter.Sub(t0) != DefaultCertValidity {
		t.Errorf("serving certificate lives %s, want %s", c.NotAfter.Sub(t0), DefaultCertValidity)
	}
}

func TestEnsure_IsIdempotentUntilRenewalIsDue(t *testing.T) {
	b, _ := mustEnsure(t, nil, local, t0)
	again, changed := mustEnsure(t, b, local, t0.Add(DefaultCertValidity/2))
	if changed || !again.Equal(b) {
		t.Error("a bundle with two thirds of its lifetime left was changed")
	}
	renewed, changed := mustEnsure(t, b, local, t0.Add(DefaultCertValidity*2/3+time.Hour))
	if !changed || string(renewed.Cert) == string(b.Cert) {
		t.Fatal("a serving certificate with less than a third of its lifetime left was not renewed")
	}
	if string(renewed.CACert) != string(b.CACert) {
		t.Error("renewing the serving certificate replaced a CA that was not due")
	}
	if err := verify(t, renewed, "localhost", t0.Add(DefaultCertValidity)); err != nil {
		t.Errorf("renewed certificate after the old one's expiry: %v", err)
	}
}

func TestEnsure_NewHostsGetANewServingCertificate(t *testing.T) {
	b, _ := mustEnsure(t, nil, local, t0)
	inCluster := Policy{Hosts: Hosts{DNSNames: []string{"naas-webhook.naas-system.svc", "naas-webhook.naas-system.svc.cluster.local"}}}
	moved, changed := mustEnsure(t, b, inCluster, t0)
	if !changed || string(moved.CACert) != string(b.CACert) {
		t.Fatal("want a new serving certificate from the same CA")
	}
	if err := verify(t, moved, "naas-webhook.naas-system.svc", t0); err != nil {
		t.Error(err)
	}
}

func TestEnsure_CARotationKeepsTheOldCATrustedUntilItExpires(t *testing.T) {
	p := local
	p.CAValidity = 90 * 24 * time.Hour
	p.CertValidity = 30 * 24 * time.Hour
	b, _ := mustEnsure(t, nil, p, t0)
	b, _ = mustEnsure(t, b, p, t0.Add(45*24*time.Hour)) // a regular serving renewal: good until day 75
	// On day 61 the CA has less than a third of its lifetime left; the serving certificate is still good.
	at := t0.Add(61 * 24 * time.Hour)
	oldCA := b.CACert
	oldCert := b.Cert

	rotated, changed := mustEnsure(t, b, p, at)
	if !changed || string(rotated.CACert) == string(oldCA) {
		t.Fatal("the CA was not rotated with less than a third of its lifetime left")
	}
	if string(rotated.PreviousCACerts) != string(oldCA) {
		t.Error("the old CA is not kept in the bundle")
	}
	if string(rotated.Cert) != string(oldCert) {
		t.Error("the serving certificate changed in the same step as the CA: the API server does not trust the new CA yet")
	}
	if err := verify(t, rotated, "localhost", at); err != nil {
		t.Errorf("old serving certificate during CA rotation: %v", err)
	}

	switched, changed := mustEnsure(t, rotated, p, at.Add(10*time.Minute))
	if !changed || string(switched.Cert) == string(oldCert) {
		t.Fatal("the next check did not issue a serving certificate from the new CA")
	}
	if err := parse(t, switched.Cert).CheckSignatureFrom(parse(t, switched.CACert)); err != nil {
		t.Errorf("new serving certificate is not signed by the new CA: %v", err)
	}

	afterOldExpiry, changed := mustEnsure(t, switched, p, t0.Add(p.CAValidity+time.Hour))
	if !changed || len(afterOldExpiry.PreviousCACerts) != 0 {
		t.Error("the expired old CA was not dropped from the bundle")
	}
}

func TestEnsure_RecoversFromACorruptBundle(t *testing.T) {
	b, changed := mustEnsure(t, &Bundle{CACert: []byte("garbage"), Cert: []byte("garbage")}, local, t0)
	if !changed {
		t.Fatal("a corrupt bundle was kept")
	}
	if err := verify(t, b, "localhost", t0); err != nil {
		t.Error(err)
	}
	other, _ := mustEnsure(t, nil, local, t0)
	mixed := *b
	mixed.Key = other.Key
	fixed, changed := mustEnsure(t, &mixed, local, t0)
	if !changed || string(fixed.Key) == string(other.Key) {
		t.Error("a serving certificate with a key that is not its own was kept")
	}
}

func TestEnsure_NoHostsIsAnError(t *testing.T) {
	if _, _, err := Ensure(nil, Policy{}, t0); err == nil {
		t.Error("want an error for a serving certificate without hosts")
	}
}
