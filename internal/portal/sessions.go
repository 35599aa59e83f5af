package portal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/httpx"
)

// Cookie names of the portal.
const (
	// SessionCookie carries a signed-in session, sealed (Sessions). The REST API accepts it too (see
	// Sessions.AuthOptions), so that links such as a namespace's kubeconfig download work from the portal.
	SessionCookie = "naas_session"
	// preSessionCookie binds the CSRF token of the sign-in form to the browser before anyone is signed in.
	preSessionCookie = "naas_presession"
	// oidcStateCookie binds an OIDC sign-in in flight to the browser that started it.
	oidcStateCookie = "naas_oidc_state"
)

// CSRFHeader carries the CSRF token of a portal session on API requests that the session cookie authenticates
// and that change something (see Sessions.GuardAPI).
const CSRFHeader = "X-CSRF-Token"

// DefaultSessionTTL is how long a session lasts when SessionOptions.TTL is zero.
const DefaultSessionTTL = 8 * time.Hour

// SessionKeySize is the size of the key that seals sessions and signs CSRF tokens.
const SessionKeySize = 32

// SessionOptions configure a session store.
type SessionOptions struct {
	// TTL is how long a session lasts after sign-in; DefaultSessionTTL when zero. An OIDC session also ends
	// when its ID token expires.
	TTL time.Duration
	// Key seals the session cookies and signs the CSRF tokens: SessionKeySize random bytes. Every replica of
	// naas must have the same key for a session to work on any of them (setup keeps it in a Secret). A random
	// key is made when empty: sessions then work on this process only, until it stops.
	Key []byte
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Session is one signed-in browser.
type Session struct {
	// ID is the value of the session cookie: the session sealed under the store's key. It is what CSRF tokens
	// are bound to.
	ID string
	// Token is the bearer token the user signed in with (a static token, or an OIDC ID token). The browser holds
	// it sealed (encrypted and authenticated), so it can neither read nor change it; the portal calls the API
	// with it in process.
	Token string
	// User is who the token authenticated at sign-in.
	User authn.User
	// Method is how the user signed in: "token" or "oidc".
	Method string
	// Expires is when the session ends.
	Expires time.Time

	// nonce tells the session apart from every other, for revocation.
	nonce string
}

// Sessions seals the portal's sessions into their cookies (AES-256-GCM under a key every replica shares), so
// that no replica keeps any session: a session works on any replica of naas and survives their restarts. What
// that costs is revocation: signing out deletes the cookie from the browser and revokes the session on the
// replica that signed it out (Revoke), but another replica accepts a copy of the cookie taken before until the
// session expires (the session lifetime, or the ID token's expiry). Every session
// ends at once when the key changes (setup: delete the key's Secret and restart naas). The API still
// authenticates the sealed token at every request, so a token revoked at its source (a line removed from the
// token file, a user disabled at the identity provider) ends the session too. A Sessions is safe for
// concurrent use.
type Sessions struct {
	ttl  time.Duration
	now  func() time.Time
	aead cipher.AEAD
	// csrfKey signs CSRF tokens; it is derived from the key, like the cipher's.
	csrfKey []byte

	mu sync.Mutex
	// revoked holds the nonces of sessions signed out on this replica, until they would have expired.
	revoked map[string]time.Time
}

// maxRevoked bounds the sessions Revoke remembers; past it the ones closest to expiry are forgotten first.
const maxRevoked = 100_000

// NewSessions returns a session store that seals sessions under opts.Key.
func NewSessions(opts SessionOptions) (*Sessions, error) {
	if opts.TTL < 0 {
		return nil, fmt.Errorf("the portal session lifetime must not be negative, got %s", opts.TTL)
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultSessionTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	key := opts.Key
	if len(key) == 0 {
		key = randomBytes(SessionKeySize)
	}
	if len(key) != SessionKeySize {
		return nil, fmt.Errorf("the portal session key must be %d bytes, got %d", SessionKeySize, len(key))
	}
	block, err := aes.NewCipher(deriveKey(key, "naas portal session cookie"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sessions{
		ttl: opts.TTL, now: opts.Now, aead: aead, csrfKey: deriveKey(key, "naas portal CSRF token"),
		revoked: map[string]time.Time{},
	}, nil
}

// deriveKey derives a key for one purpose from the session key, so that no key serves two purposes.
func deriveKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// randomBytes returns n bytes from crypto/rand, which never fails on supported platforms.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomString(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

// sealedSession is what a session cookie holds, encrypted.
type sealedSession struct {
	// Nonce makes every session distinct, so that each has its own CSRF tokens even for the same user and token.
	Nonce   string     `json:"n"`
	Token   string     `json:"t"`
	User    authn.User `json:"u"`
	Method  string     `json:"m"`
	Expires int64      `json:"e"`
}

// sessionCookieVersion prefixes sealed cookies, so that a later format can be told apart.
const sessionCookieVersion = "v1."

// sessionAAD binds the sealed value to its use: a value sealed under the same key for anything else does not
// open as a session.
var sessionAAD = []byte(SessionCookie)

// seal encrypts and authenticates v (as JSON) under the store's key for the use aad names.
func (s *Sessions) seal(aad []byte, v any) string {
	plain, _ := json.Marshal(v)
	nonce := randomBytes(s.aead.NonceSize())
	return sessionCookieVersion + base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, aad))
}

// open reverses seal into v; false when sealed was not made by seal under this key for aad, or was changed.
func (s *Sessions) open(aad []byte, sealed string, v any) bool {
	raw, ok := strings.CutPrefix(sealed, sessionCookieVersion)
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) < s.aead.NonceSize() {
		return false
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], aad)
	return err == nil && json.Unmarshal(plain, v) == nil
}

// Create starts a session for user, who authenticated with token, ending at the session lifetime or at
// notAfter, whichever comes first (a zero notAfter is no bound).
func (s *Sessions) Create(user authn.User, token, method string, notAfter time.Time) *Session {
	expires := s.now().Add(s.ttl)
	if !notAfter.IsZero() && notAfter.Before(expires) {
		expires = notAfter
	}
	expires = expires.Truncate(time.Second)
	sn := sealedSession{Nonce: randomString(16), Token: token, User: user, Method: method, Expires: expires.Unix()}
	id := s.seal(sessionAAD, sn)
	return &Session{ID: id, Token: token, User: user, Method: method, Expires: expires, nonce: sn.Nonce}
}

// Get returns the live session the cookie value id seals, or nil: nil too for a value that was not sealed
// under this store's key, was changed, or has expired.
func (s *Sessions) Get(id string) *Session {
	var ss sealedSession
	if !s.open(sessionAAD, id, &ss) {
		return nil
	}
	expires := time.Unix(ss.Expires, 0)
	if !s.now().Before(expires) {
		return nil
	}
	s.mu.Lock()
	_, revoked := s.revoked[ss.Nonce]
	s.mu.Unlock()
	if revoked {
		return nil
	}
	return &Session{ID: id, Token: ss.Token, User: ss.User, Method: ss.Method, Expires: expires, nonce: ss.Nonce}
}

// Revoke ends sess on this replica before its expiry (sign-out); see Sessions for what other replicas do.
func (s *Sessions) Revoke(sess *Session) {
	if sess == nil || sess.nonce == "" {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, exp := range s.revoked {
		if !now.Before(exp) {
			delete(s.revoked, n)
		}
	}
	for len(s.revoked) >= maxRevoked {
		var soonest string
		for n, exp := range s.revoked {
			if soonest == "" || exp.Before(s.revoked[soonest]) {
				soonest = n
			}
		}
		delete(s.revoked, soonest)
	}
	s.revoked[sess.nonce] = sess.Expires
}

// AuthOptions let the REST API authenticate requests by the session cookie: the cookie's session gives the
// token the API then authenticates as usual.
func (s *Sessions) AuthOptions() authn.Options {
	return authn.Options{CookieName: SessionCookie, SessionToken: s.sessionToken}
}

func (s *Sessions) sessionToken(_ context.Context, id string) (string, error) {
	sess := s.Get(id)
	if sess == nil {
		return "", fmt.Errorf("%w: the portal session has ended; sign in to the portal again", authn.ErrUnauthenticated)
	}
	return sess.Token, nil
}

// GuardAPI protects the REST API against cross-site request forgery through the session cookie: a request
// that changes something (any method but GET, HEAD and OPTIONS), carries no Authorization header and would be
// authenticated by the session cookie must also carry the session's CSRF token in the X-CSRF-Token header.
// Otherwise it gets 403, a problem of type httpx.ProblemCSRF. Requests with an Authorization header, and reads,
// pass unchanged. It is the API's apiserver.Config.Guard, so that its refusals carry the request id and are
// audited.
func (s *Sessions) GuardAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) || r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(SessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r) // No session: the API answers 401 as usual.
			return
		}
		if !s.ValidCSRF(bindSession(c.Value), r.Header.Get(CSRFHeader)) {
			p := httpx.NewProblem(r, http.StatusForbidden, fmt.Sprintf(
				"a %s authenticated by the portal session cookie must carry the session's CSRF token in the %s header; API clients should send \"Authorization: Bearer <token>\" instead",
				r.Method, CSRFHeader))
			p.Type = httpx.ProblemCSRF
			httpx.WriteProblem(w, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// CSRF tokens are synchronizer tokens tied to what they protect: HMAC-SHA256 of a binding (the session cookie,
// or the pre-session cookie of a browser that has not signed in) under a key derived from the store's. A token
// cannot be made without the key, nor used with another session; any replica sharing the key checks it.

func bindSession(id string) string   { return "session:" + id }
func bindPreSession(v string) string { return "presession:" + v }

// CSRFToken returns the CSRF token of binding.
func (s *Sessions) CSRFToken(binding string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ValidCSRF reports whether token is the CSRF token of binding.
func (s *Sessions) ValidCSRF(binding, token string) bool {
	if token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(s.CSRFToken(binding)), []byte(token)) == 1
}
