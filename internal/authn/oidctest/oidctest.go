// Package oidctest runs an OpenID Connect issuer for tests: an httptest TLS server that serves a discovery
// document and a key set, and signs RS256 tokens with whatever claims a test needs. It lets tests of anything
// behind authn.OIDC (the REST API, the portal) authenticate real tokens without an identity provider.
//
//	iss := oidctest.New(t)
//	a, err := authn.NewOIDC(ctx, authn.OIDCConfig{
//		IssuerURL: iss.URL(), Audience: oidctest.Audience, HTTPClient: iss.Client(),
//	})
//	token := iss.Token(map[string]any{"sub": "alice", "groups": []string{"dev"}}, time.Hour)
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Audience is the "aud" claim Token sets unless the claims given to it set one.
const Audience = "naas"

// Issuer is a running test issuer. It is safe for concurrent use.
type Issuer struct {
	t   testing.TB
	srv *httptest.Server

	mu    sync.Mutex
	key   *rsa.PrivateKey
	keyID string
	// published are the public keys served at the key set endpoint.
	published []jose.JSONWebKey
	rotations int
}

// New starts an issuer with one RS256 signing key; it stops when the test ends.
func New(t testing.TB) *Issuer {
	t.Helper()
	iss := &Issuer{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", iss.serveDiscovery)
	mux.HandleFunc("GET /keys", iss.serveKeys)
	iss.srv = httptest.NewTLSServer(mux)
	t.Cleanup(iss.srv.Close)
	iss.RotateKey()
	return iss
}

// URL returns the issuer URL, which is also the "iss" claim of its tokens.
func (i *Issuer) URL() string { return i.srv.URL }

// Client returns an HTTP client that trusts the issuer's TLS certificate.
func (i *Issuer) Client() *http.Client { return i.srv.Client() }

// CAFile writes the certificate the issuer serves with to a PEM file in a temporary directory and returns its
// path, for configurations that take a CA file.
func (i *Issuer) CAFile() string {
	i.t.Helper()
	path := filepath.Join(i.t.TempDir(), "oidc-ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		i.t.Fatalf("oidctest: write CA file: %v", err)
	}
	return path
}

// Close stops the issuer, so tests can see what happens when the identity provider is down.
func (i *Issuer) Close() { i.srv.Close() }

// RotateKey starts signing with a new key and publishes it next to the old ones, as issuers do on key rollover:
// tokens signed before stay valid.
func (i *Issuer) RotateKey() {
	i.t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		i.t.Fatalf("oidctest: generate signing key: %v", err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rotations++
	i.key = key
	i.keyID = fmt.Sprintf("key-%d", i.rotations)
	i.published = append(i.published, jose.JSONWebKey{
		Key: key.Public(), KeyID: i.keyID, Algorithm: string(jose.RS256), Use: "sig",
	})
}

// Token returns an RS256 JWT signed with the current key that expires ttl from now (a negative ttl gives an
// expired token). Its claims are "iss" (the issuer URL), "aud" (Audience), "iat", "nbf", "exp" and "sub"
// ("test-user"), overridden and extended by claims.
func (i *Issuer) Token(claims map[string]any, ttl time.Duration) string {
	i.t.Helper()
	i.mu.Lock()
	key, keyID := i.key, i.keyID
	i.mu.Unlock()
	return i.sign(key, keyID, claims, ttl)
}

// TokenSignedByUnknownKey is Token signed by a key the issuer never publishes, as a forger would sign.
func (i *Issuer) TokenSignedByUnknownKey(claims map[string]any, ttl time.Duration) string {
	i.t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		i.t.Fatalf("oidctest: generate key: %v", err)
	}
	return i.sign(key, "unpublished", claims, ttl)
}

func (i *Issuer) sign(key *rsa.PrivateKey, keyID string, claims map[string]any, ttl time.Duration) string {
	i.t.Helper()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), keyID),
	)
	if err != nil {
		i.t.Fatalf("oidctest: create signer: %v", err)
	}
	now := time.Now()
	all := map[string]any{
		"iss": i.URL(),
		"aud": Audience,
		"sub": "test-user",
		"iat": now.Unix(),
		"nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	maps.Copy(all, claims)
	token, err := jwt.Signed(signer).Claims(all).Serialize()
	if err != nil {
		i.t.Fatalf("oidctest: sign token: %v", err)
	}
	return token
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                i.URL(),
		"jwks_uri":                              i.URL() + "/keys",
		"authorization_endpoint":                i.URL() + "/auth",
		"token_endpoint":                        i.URL() + "/token",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (i *Issuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	i.mu.Lock()
	keys := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), i.published...)}
	i.mu.Unlock()
	writeJSON(w, keys)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
