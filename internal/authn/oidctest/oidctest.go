// Package oidctest runs an OpenID Connect issuer for tests: an httptest TLS server that serves a discovery
// document and a key set, and signs RS256 tokens with whatever claims a test needs. It lets tests of anything
// behind authn.OIDC (the REST API, the portal) authenticate real tokens without an identity provider. For
// browser sign-in, it also runs the authorization code flow with PKCE: an authorization endpoint that signs in
// the user SignInAs names without asking, and a token endpoint that redeems the code for an ID token.
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
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

	// login holds the claims of whoever the authorization endpoint signs in; codes the codes it issued.
	login map[string]any
	codes map[string]authCode

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
	iss := &Issuer{t: t, codes: map[string]authCode{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", iss.serveDiscovery)
	mux.HandleFunc("GET /keys", iss.serveKeys)
	mux.HandleFunc("GET /auth", iss.serveAuthorize)
	mux.HandleFunc("POST /token", iss.serveToken)
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

// authCode is an authorization code the issuer handed out, and what redeeming it must match.
type authCode struct {
	clientID, redirectURI, challenge, nonce string
	claims                                  map[string]any
}

// SignInAs makes the authorization endpoint sign in, without asking anything, a user whose ID token carries
// claims (on top of Token's defaults, with "aud" the client id and "nonce" the request's). Until it is called,
// the endpoint answers the redirect URI with error=access_denied, as an issuer does when the user cancels.
func (i *Issuer) SignInAs(claims map[string]any) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.login = maps.Clone(claims)
}

// serveAuthorize is the authorization endpoint of the code flow with PKCE (S256 only, as OAuth 2.1 wants): it
// redirects at once to the client's redirect URI with a code, or with an error.
func (i *Issuer) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		http.Error(w, "redirect_uri must be an absolute URL", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	i.mu.Lock()
	claims := maps.Clone(i.login)
	i.mu.Unlock()
	switch {
	case q.Get("response_type") != "code" || q.Get("client_id") == "":
		back.Set("error", "invalid_request")
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		back.Set("error", "invalid_request")
		back.Set("error_description", "PKCE with S256 is required")
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		back.Set("error", "invalid_scope")
	case claims == nil:
		back.Set("error", "access_denied")
	default:
		code := rand.Text()
		i.mu.Lock()
		i.codes[code] = authCode{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
			challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), claims: claims}
		i.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// serveToken is the token endpoint: it redeems a code once, checking the client, the redirect URI and the PKCE
// verifier, and answers with an ID token.
func (i *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	clientID := r.PostForm.Get("client_id")
	if id, _, ok := r.BasicAuth(); ok {
		clientID = id
	}
	code := r.PostForm.Get("code")
	i.mu.Lock()
	c, ok := i.codes[code]
	delete(i.codes, code)
	i.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !ok:
		tokenError(w, "invalid_grant")
		return
	case c.clientID != clientID || c.redirectURI != r.PostForm.Get("redirect_uri"):
		tokenError(w, "invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
		tokenError(w, "invalid_grant")
		return
	}
	claims := map[string]any{"aud": c.clientID}
	if c.nonce != "" {
		claims["nonce"] = c.nonce
	}
	maps.Copy(claims, c.claims)
	writeJSON(w, map[string]any{
		"access_token": rand.Text(),
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     i.Token(claims, time.Hour),
	})
}

func tokenError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}
