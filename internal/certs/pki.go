package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/naas-dev/naas/internal/certs/tlsca"
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

// With returns the names and addresses of h and of o, each once.
func (h Hosts) With(o Hosts) Hosts {
	out := Hosts{DNSNames: slices.Clone(h.DNSNames), IPs: slices.Clone(h.IPs)}
	for _, n := range o.DNSNames {
		if !slices.Contains(out.DNSNames, n) {
			out.DNSNames = append(out.DNSNames, n)
		}
	}
	for _, ip := range o.IPs {
		if !slices.ContainsFunc(out.IPs, ip.Equal) {
			out.IPs = append(out.IPs, ip)
		}
	}
	return out
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

	ca, err := tlsca.ParseCA(out.CACert, out.CAKey)
	var oldCA *x509.Certificate
	if err != nil || renewDue(ca.Cert, now) {
		if ca != nil {
			oldCA = ca.Cert
			if now.Before(oldCA.NotAfter) {
				out.PreviousCACerts = append(tlsca.EncodeCert(oldCA.Raw), out.PreviousCACerts...)
			}
		}
		if ca, err = tlsca.NewCA(fmt.Sprintf("naas-webhook-ca@%d", now.Unix()), now, p.CAValidity); err != nil {
			return nil, false, err
		}
		if out.CACert, out.CAKey, err = ca.PEM(); err != nil {
			return nil, false, err
		}
		changed = true
	}

	prev, dropped := liveCerts(out.PreviousCACerts, now)
	if dropped {
		out.PreviousCACerts = prev
		changed = true
	}

	cert, _, err := tlsca.ParsePair(out.Cert, out.Key)
	good := err == nil && !renewDue(cert, now) && names(cert, p.Hosts)
	// Right after a CA rotation the serving certificate of the old CA is kept until the next Ensure: the API
	// server must learn the new CA bundle before it is shown a certificate the new CA signed.
	keepForNow := good && oldCA != nil && cert.CheckSignatureFrom(oldCA) == nil
	if !keepForNow && (!good || cert.CheckSignatureFrom(ca.Cert) != nil) {
		cn := "naas-webhook"
		if len(p.Hosts.DNSNames) > 0 {
			cn = p.Hosts.DNSNames[0]
		}
		if out.Cert, out.Key, err = ca.IssueServing(cn, p.Hosts.DNSNames, p.Hosts.IPs, now, p.CertValidity); err != nil {
			return nil, false, err
		}
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

// Equal reports whether two bundles hold the same PEM data.
func (b *Bundle) Equal(o *Bundle) bool {
	if b == nil || o == nil {
		return b == o
	}
	return bytes.Equal(b.CACert, o.CACert) && bytes.Equal(b.CAKey, o.CAKey) &&
		bytes.Equal(b.PreviousCACerts, o.PreviousCACerts) && bytes.Equal(b.Cert, o.Cert) && bytes.Equal(b.Key, o.Key)
}
