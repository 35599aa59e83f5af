package tlsca

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mustCA(t *testing.T, validity time.Duration) *CA {
	t.Helper()
	ca, err := NewCA("test-ca", t0, validity)
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	return ca
}

func mustIssue(t *testing.T, ca *CA, dnsNames []string, ips []net.IP, validity time.Duration) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := ca.IssueServing("test-server", dnsNames, ips, t0, validity)
	if err != nil {
		t.Fatalf("IssueServing: %v", err)
	}
	return certPEM, keyPEM
}

func parseCert(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", certPEM)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func verifyFor(ca *CA, cert *x509.Certificate, host string, at time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err := cert.Verify(x509.VerifyOptions{
		DNSName: host, Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

func TestIssueServing_TrustedByTheCAForItsHostsOnly(t *testing.T) {
	ca := mustCA(t, 24*time.Hour)
	certPEM, keyPEM := mustIssue(t, ca, []string{"localhost", "api.example"}, []net.IP{net.ParseIP("127.0.0.1")}, time.Hour)
	cert := parseCert(t, certPEM)
	for _, host := range []string{"localhost", "api.example", "127.0.0.1"} {
		if err := verifyFor(ca, cert, host, t0); err != nil {
			t.Errorf("certificate for %s: %v", host, err)
		}
	}
	for _, host := range []string{"other.example", "127.0.0.2"} {
		if err := verifyFor(ca, cert, host, t0); err == nil {
			t.Errorf("certificate verified for %s, which it does not name", host)
		}
	}
	if err := verifyFor(mustCA(t, 24*time.Hour), cert, "localhost", t0); err == nil {
		t.Error("certificate verified against another CA")
	}
	if _, _, err := ParsePair(certPEM, keyPEM); err != nil {
		t.Errorf("the issued key does not belong to the issued certificate: %v", err)
	}
	if cert.Subject.CommonName != "test-server" || cert.IsCA {
		t.Errorf("got subject %q, IsCA %v; want test-server, a leaf", cert.Subject.CommonName, cert.IsCA)
	}
}

func TestIssueServing_ValidFromBeforeNowUntilValidityButNeverBeyondTheCA(t *testing.T) {
	ca := mustCA(t, 24*time.Hour)
	short := parseCert(t, first(mustIssue(t, ca, []string{"localhost"}, nil, time.Hour)))
	if !short.NotBefore.Before(t0) || !short.NotAfter.Equal(t0.Add(time.Hour)) {
		t.Errorf("got %s to %s, want from before %s to %s", short.NotBefore, short.NotAfter, t0, t0.Add(time.Hour))
	}
	long := parseCert(t, first(mustIssue(t, ca, []string{"localhost"}, nil, 365*24*time.Hour)))
	if !long.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("a certificate asked to outlive its CA ends %s, want the CA's end %s", long.NotAfter, ca.Cert.NotAfter)
	}
	if err := verifyFor(ca, long, "localhost", t0.Add(25*time.Hour)); err == nil {
		t.Error("certificate verified after its CA expired")
	}
}

func first(a, _ []byte) []byte { return a }

func TestIssueServing_NeedsAHost(t *testing.T) {
	if _, _, err := mustCA(t, time.Hour).IssueServing("nobody", nil, nil, t0, time.Hour); err == nil {
		t.Fatal("IssueServing made a certificate for no host")
	}
}

func TestCA_CannotSignIntermediates(t *testing.T) {
	ca := mustCA(t, time.Hour)
	if !ca.Cert.IsCA || !ca.Cert.MaxPathLenZero || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Fatalf("got IsCA %v, MaxPathLenZero %v, key usage %b; want a CA with path length zero",
			ca.Cert.IsCA, ca.Cert.MaxPathLenZero, ca.Cert.KeyUsage)
	}
}

func TestParseCA_RoundTripsPEM(t *testing.T) {
	ca := mustCA(t, time.Hour)
	certPEM, keyPEM, err := ca.PEM()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("ParseCA of the CA's own PEM: %v", err)
	}
	if !got.Cert.Equal(ca.Cert) || !got.Key.Equal(ca.Key) {
		t.Error("ParseCA returned another certificate or key than the CA's")
	}
}

func TestParseCA_RejectsWhatIsNotACAAndItsKey(t *testing.T) {
	ca := mustCA(t, time.Hour)
	caCert, caKey, err := ca.PEM()
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := mustCA(t, time.Hour).PEM()
	if err != nil {
		t.Fatal(err)
	}
	leafCert, leafKey := mustIssue(t, ca, []string{"localhost"}, nil, time.Hour)
	for name, tc := range map[string]struct {
		cert, key []byte
		want      string
	}{
		"missing key":          {caCert, nil, "missing"},
		"missing certificate":  {nil, caKey, "missing"},
		"not PEM":              {[]byte("ca"), []byte("key"), "missing"},
		"corrupt certificate":  {pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("x")}), caKey, "parse certificate"},
		"corrupt key":          {caCert, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("x")}), "parse key"},
		"another CA's key":     {caCert, otherKey, "does not belong"},
		"a serving cert":       {leafCert, leafKey, "not a CA"},
		"serving cert, CA key": {leafCert, caKey, "does not belong"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCA(tc.cert, tc.key)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestEncodePublicKey_IsPKIXOfTheKey(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := EncodePublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pubPEM)
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("not a PEM public key: %q", pubPEM)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(pub) {
		t.Error("the encoded public key is not the key's")
	}
	keyPEM, err := EncodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "EC PRIVATE KEY" {
		t.Fatalf("not a PEM EC private key: %q", keyPEM)
	}
	back, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil || !back.Equal(key) {
		t.Errorf("the encoded private key does not decode to the key (%v)", err)
	}
}
