package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"
)

// Default lifetimes. A certificate is renewed once less than a third of its lifetime is left.
const (
	DefaultCAValidity   = 5 * 365 * 24 * time.Hour
	DefaultCertValidity = 365 * 24 * time.Hour
)

// Hosts are the names the API server uses to reach the webhook server.
type Hosts struct {
	DNSNames []string
	IPs      []net.IP
}

// Bundle is the webhook server's PKI, PEM encoded.
type Bundle struct {
	// CACert and CAKey are the current CA.
	CACert, CAKey []byte
	// PreviousCACerts are replaced CAs that are still trusted until they expire.
	PreviousCACerts []byte
	// Cert and Key are the serving certificate, signed by the current CA, and its key.
	Cert, Key []byte
}

// Policy says how long certificates live and what the serving certificate names.
type Policy struct {
	Hosts        Hosts
	CAValidity   time.Duration
	CertValidity time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.CAValidity <= 0 {
		p.CAValidity = DefaultCAValidity
	}
	if p.CertValidity <= 0 {
		p.CertValidity = DefaultCertValidity
	}
	return p
}

// CABundle is what the API server must trust: the current CA and the previous ones not yet expired.
func (b *Bundle) CABundle() []byte {
	return append(append([]byte{}, b.CACert...), b.PreviousCACerts...)
}

// Ensure returns a bundle that is good at now for the policy, and whether it differs from b (nil for none):
// the CA is replaced when it is missing, unreadable or has less than a third of its lifetime left (the old one
// stays trusted); the serving certificate is replaced when it is missing, not signed by the current CA, names
// other hosts or has less than a third of its lifetime left; expired previous CAs are dropped. A still good
// serving certificate of a CA replaced in this call is replaced by the next call, so that callers can publish
// the new CA bundle first.
func Ensure(b *Bundle, p Policy, now time.Time) (*Bundle, bool, error) {
	p = p.withDefaults()
	out := &Bundle{}
	if b != nil {
		*out = *b
	}
	changed := false

	ca, caKey, err := parsePair(out.CACert, out.CAKey)
	var oldCA *x509.Certificate
	if err != nil || renewDue(ca, now) {
		oldCA = ca
		if ca != nil && now.Before(ca.NotAfter) {
			out.PreviousCACerts = append(encodeCert(ca.Raw), out.PreviousCACerts...)
		}
		if ca, caKey, err = newCA(now, p.CAValidity); err != nil {
			return nil, false, err
		}
		out.CACert, out.CAKey = encodeCert(ca.Raw), encodeKey(caKey)
		changed = true
	}

	prev, dropped := liveCerts(out.PreviousCACerts, now)
	if dropped {
		out.PreviousCACerts = prev
		changed = true
	}

	cert, _, err := parsePair(out.Cert, out.Key)
	good := err == nil && !renewDue(cert, now) && names(cert, p.Hosts)
	// Right after a CA rotation the serving certificate of the old CA is kept until the next Ensure: the API
	// server must learn the new CA bundle before it is shown a certificate the new CA signed.
	keepForNow := good && oldCA != nil && cert.CheckSignatureFrom(oldCA) == nil
	if !keepForNow && (!good || cert.CheckSignatureFrom(ca) != nil) {
		certDER, key, err := newServingCert(ca, caKey, p.Hosts, now, p.CertValidity)
		if err != nil {
			return nil, false, err
		}
		out.Cert, out.Key = encodeCert(certDER), encodeKey(key)
		changed = true
	}
	return out, changed, nil
}

// renewDue reports whether less than a third of the certificate's lifetime is left at now.
func renewDue(c *x509.Certificate, now time.Time) bool {
	lifetime := c.NotAfter.Sub(c.NotBefore)
	return c.NotAfter.Sub(now) < lifetime/3
}

func names(c *x509.Certificate, h Hosts) bool {
	dns := slices.Clone(h.DNSNames)
	slices.Sort(dns)
	got := slices.Clone(c.DNSNames)
	slices.Sort(got)
	if !slices.Equal(dns, got) || len(c.IPAddresses) != len(h.IPs) {
		return false
	}
	for _, ip := range h.IPs {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// liveCerts keeps the PEM certificates of pemCerts not expired at now; dropped tells whether any was removed.
func liveCerts(pemCerts []byte, now time.Time) ([]byte, bool) {
	var out []byte
	dropped := false
	for rest := pemCerts; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil || !now.Before(c.NotAfter) {
			dropped = true
			continue
		}
		out = append(out, pem.EncodeToMemory(block)...)
	}
	return out, dropped
}

func parsePair(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("missing certificate or key")
	}
	c, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&k.PublicKey) {
		return nil, nil, errors.New("the key does not belong to the certificate")
	}
	return c, k, nil
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func newCA(now time.Time, validity time.Duration) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	sn, err := serial()
	if err != nil {
		return nil, nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: fmt.Sprintf("naas-webhook-ca@%d", now.Unix())},
		NotBefore:             now.Add(-time.Hour), // tolerate clock skew with the API server
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

func newServingCert(ca *x509.Certificate, caKey *ecdsa.PrivateKey, h Hosts, now time.Time, validity time.Duration) ([]byte, *ecdsa.PrivateKey, error) {
	if len(h.DNSNames) == 0 && len(h.IPs) == 0 {
		return nil, nil, errors.New("the serving certificate needs at least one DNS name or IP address")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate serving key: %w", err)
	}
	sn, err := serial()
	if err != nil {
		return nil, nil, err
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	cn := "naas-webhook"
	if len(h.DNSNames) > 0 {
		cn = h.DNSNames[0]
	}
	tpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     h.DNSNames,
		IPAddresses:  h.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create serving certificate: %w", err)
	}
	return der, key, nil
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func encodeKey(k *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		panic(err) // a P-256 key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// Equal reports whether two bundles hold the same PEM data.
func (b *Bundle) Equal(o *Bundle) bool {
	if b == nil || o == nil {
		return b == o
	}
	return bytes.Equal(b.CACert, o.CACert) && bytes.Equal(b.CAKey, o.CAKey) &&
		bytes.Equal(b.PreviousCACerts, o.PreviousCACerts) && bytes.Equal(b.Cert, o.Cert) && bytes.Equal(b.Key, o.Key)
}
