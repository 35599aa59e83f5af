package localcp

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/naas-dev/naas/internal/certs/tlsca"
)

func readFiles(t *testing.T, p pki) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{p.CACert, p.CAKey, p.ServingCert, p.ServingKey, p.ServiceAccountKey, p.ServiceAccountPublicKey} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), info.Mode().Perm())
		}
		out[filepath.Base(f)] = data
	}
	return out
}

// chain reads the CA and kube-apiserver's serving certificate from files.
func chain(t *testing.T, files map[string][]byte) (*tlsca.CA, *x509.Certificate) {
	t.Helper()
	ca, err := tlsca.ParseCA(files["ca.crt"], files["ca.key"])
	if err != nil {
		t.Fatalf("ca.crt and ca.key: %v", err)
	}
	cert, _, err := tlsca.ParsePair(files["apiserver.crt"], files["apiserver.key"])
	if err != nil {
		t.Fatalf("apiserver.crt and apiserver.key: %v", err)
	}
	return ca, cert
}

func TestPKI_ServingCertificateTrustedForEveryAPIServerName(t *testing.T) {
	p := newPKI(filepath.Join(t.TempDir(), "pki"))
	if err := p.ensure(); err != nil {
		t.Fatal(err)
	}
	files := readFiles(t, p)
	ca, cert := chain(t, files)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for _, host := range []string{"localhost", "kubernetes.default.svc", "127.0.0.1", "::1", serviceIP} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("kube-apiserver's certificate for %s: %v", host, err)
		}
	}
	if _, _, err := tlsca.ParsePair(files["sa.pub"], files["sa.key"]); err == nil {
		t.Error("sa.pub is a certificate; kube-apiserver wants a public key")
	}
	block, _ := pem.Decode(files["sa.pub"])
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("sa.pub is not a PEM public key: %q", files["sa.pub"])
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := pem.Decode(files["sa.key"])
	if kb == nil {
		t.Fatal("sa.key is not PEM")
	}
	saKey, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !saKey.PublicKey.Equal(pub) {
		t.Error("sa.pub is not the public half of sa.key")
	}
}

func TestPKI_KeepsWhatExistsAndReissuesOnlyWhatIsMissing(t *testing.T) {
	p := newPKI(filepath.Join(t.TempDir(), "pki"))
	if err := p.ensure(); err != nil {
		t.Fatal(err)
	}
	before := readFiles(t, p)
	if err := p.ensure(); err != nil {
		t.Fatal(err)
	}
	for name, data := range readFiles(t, p) {
		if !bytes.Equal(data, before[name]) {
			t.Errorf("a second ensure changed %s", name)
		}
	}

	// A lost serving certificate is reissued by the same CA, so clients of an earlier run still trust it.
	if err := os.Remove(p.ServingCert); err != nil {
		t.Fatal(err)
	}
	if err := p.ensure(); err != nil {
		t.Fatal(err)
	}
	after := readFiles(t, p)
	if bytes.Equal(after["apiserver.crt"], before["apiserver.crt"]) {
		t.Error("the missing serving certificate was not reissued")
	}
	if !bytes.Equal(after["ca.crt"], before["ca.crt"]) || !bytes.Equal(after["sa.key"], before["sa.key"]) {
		t.Error("reissuing the serving certificate replaced the CA or the service-account key")
	}
	ca, cert := chain(t, after)
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		t.Errorf("the reissued serving certificate is not signed by the kept CA: %v", err)
	}

	// A new CA (its files were lost) replaces the serving certificate the old one signed.
	if err := os.Remove(p.CAKey); err != nil {
		t.Fatal(err)
	}
	if err := p.ensure(); err != nil {
		t.Fatal(err)
	}
	renewed := readFiles(t, p)
	ca, cert = chain(t, renewed)
	if bytes.Equal(renewed["ca.crt"], after["ca.crt"]) || cert.CheckSignatureFrom(ca.Cert) != nil {
		t.Error("after the CA was lost, want a new CA and a serving certificate it signed")
	}
}

func TestPKI_CorruptCASaysHowToRecover(t *testing.T) {
	p := newPKI(filepath.Join(t.TempDir(), "pki"))
	if err := p.ensure(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.CACert, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p.ServingCert); err != nil {
		t.Fatal(err)
	}
	err := p.ensure()
	if err == nil || !strings.Contains(err.Error(), "delete the pki directory") {
		t.Fatalf("got %v, want an error that says to delete the pki directory", err)
	}
}
