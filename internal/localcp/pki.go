package localcp

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/naas-dev/naas/internal/certs/tlsca"
)

// pki holds the paths of the certificates and keys of a control plane.
type pki struct {
	CACert, CAKey           string
	ServingCert, ServingKey string
	ServiceAccountKey       string
	ServiceAccountPublicKey string
}

func newPKI(dir string) pki {
	return pki{
		CACert:                  filepath.Join(dir, "ca.crt"),
		CAKey:                   filepath.Join(dir, "ca.key"),
		ServingCert:             filepath.Join(dir, "apiserver.crt"),
		ServingKey:              filepath.Join(dir, "apiserver.key"),
		ServiceAccountKey:       filepath.Join(dir, "sa.key"),
		ServiceAccountPublicKey: filepath.Join(dir, "sa.pub"),
	}
}

// Lifetimes of the local control plane's certificates: long, because nothing renews them (delete the data
// directory's pki/ to start over).
const (
	caValidity      = 10 * 365 * 24 * time.Hour
	servingValidity = 10 * 365 * 24 * time.Hour
)

// The names kube-apiserver is reached by, from the host and from inside the cluster.
var (
	apiserverDNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	apiserverIPs      = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP(serviceIP)}
)

// ensure creates whatever certificate or key is missing; existing ones are kept so
// that clients configured against an earlier run keep trusting the server.
func (p pki) ensure() error {
	if err := os.MkdirAll(filepath.Dir(p.CACert), 0o700); err != nil {
		return err
	}
	now := time.Now()
	var ca *tlsca.CA
	if !exists(p.CACert) || !exists(p.CAKey) {
		var err error
		if ca, err = tlsca.NewCA("naas-local-ca", now, caValidity); err != nil {
			return err
		}
		certPEM, keyPEM, err := ca.PEM()
		if err != nil {
			return err
		}
		if err := writeFiles(p.CACert, certPEM, p.CAKey, keyPEM); err != nil {
			return err
		}
		// A new CA invalidates the old serving certificate.
		_ = os.Remove(p.ServingCert)
	}
	if !exists(p.ServingCert) || !exists(p.ServingKey) {
		if ca == nil {
			var err error
			if ca, err = p.loadCA(); err != nil {
				return err
			}
		}
		certPEM, keyPEM, err := ca.IssueServing("kube-apiserver", apiserverDNSNames, apiserverIPs, now, servingValidity)
		if err != nil {
			return err
		}
		if err := writeFiles(p.ServingCert, certPEM, p.ServingKey, keyPEM); err != nil {
			return err
		}
	}
	if !exists(p.ServiceAccountKey) || !exists(p.ServiceAccountPublicKey) {
		key, err := tlsca.NewKey()
		if err != nil {
			return err
		}
		keyPEM, err := tlsca.EncodeKey(key)
		if err != nil {
			return err
		}
		pubPEM, err := tlsca.EncodePublicKey(&key.PublicKey)
		if err != nil {
			return err
		}
		if err := writeFiles(p.ServiceAccountKey, keyPEM, p.ServiceAccountPublicKey, pubPEM); err != nil {
			return err
		}
	}
	return nil
}

func (p pki) loadCA() (*tlsca.CA, error) {
	certPEM, err := os.ReadFile(p.CACert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(p.CAKey)
	if err != nil {
		return nil, err
	}
	ca, err := tlsca.ParseCA(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("local CA %s: %w; delete the pki directory to regenerate it", p.CACert, err)
	}
	return ca, nil
}

// writeFiles writes a certificate and its key (or a key and its public half), readable by the owner only.
func writeFiles(path1 string, data1 []byte, path2 string, data2 []byte) error {
	if err := os.WriteFile(path1, data1, 0o600); err != nil {
		return err
	}
	return os.WriteFile(path2, data2, 0o600)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
