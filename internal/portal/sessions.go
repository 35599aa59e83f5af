package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/httpx"
)

// Cookie names of the portal.
const (
	// SessionCookie carries the id of a signed-in session. The REST API accepts it too (see
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

// Defaults of SessionOptions.
const (
	DefaultSessionTTL  = 8 * time.Hour
	DefaultMaxSessions = 100_000
)

// SessionOptions configure a session store.
type SessionOptions struct {
	// TTL is how long a session lasts after sign-in; DefaultSessionTTL when zero. An OIDC session also ends
	// when its ID token expires.
	TTL time.Duration
	// MaxSessions bounds the sessions kept at once; DefaultMaxSessions when zero. Signing in past the bound drops
	// the sessions closest to expiry.
	MaxSessions int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Session is one signed-in browser.
type Session struct {
	// ID is the value of the session cookie: 256 random bits.
	ID string
	// Token is the bearer token the user signed in with (a static token, or an OIDC ID token). It never leaves
	// the server: the portal calls the API with it in process.
	Token string
	// User is who the token authenticated at sign-in.
	User authn.User
	// Method is how the user signed in: "token" or "oidc".
	Method string
	// Expires is when the session ends.
	Expires time.Time
}

// Sessions keeps the portal's sessions in memory, server side: the browser holds only a random id, so a
// session is revoked the moment its user signs out, and no token is ever stored in a cookie. Sessions do not
// survive a restart of naas (users sign in again). A Sessions is safe for concurrent use.
type Sessions struct {
	ttl time.Duration
	max int
	now func() time.Time
	// key signs CSRF tokens; it is made at start, like the sessions it protects.
	key []byte

	mu       sync.Mutex
	sessions map[string]*Session
}

// NewSessions returns an empty session store.
func NewSessions(opts SessionOptions) (*Sessions, error) {
	if opts.TTL < 0 {
		return nil, fmt.Errorf("the portal session lifetime must not be negative, got %s", opts.TTL)
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultSessionTTL
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sessions{
		ttl: opts.TTL, max: opts.MaxSessions, now: opts.Now,
		key: randomBytes(32), sessions: map[string]*Session{},
	}, nil
}

// randomBytes returns n bytes from crypto/rand, which never fails on supported platforms.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomString(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

// Create starts a session for user, who authenticated with token, ending at the session lifetime or at
// notAfter, whichever comes first (a zero notAfter is no bound).
func (s *Sessions) Create(user authn.User, token, method string, notAfter time.Time) *Session {
	now := s.now()
	expires := now.Add(s.ttl)
	if !notAfter.IsZero() && notAfter.Before(expires) {
		expires = notAfter
	}
	sess := &Session{ID: randomString(32), Token: token, User: user, Method: method, Expires: expires}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(now)
	for len(s.sessions) >= s.max {
		s.dropSoonestLocked()
	}
	s.sessions[sess.ID] = sess
	return sess
}

// Get returns the live session id names, or nil.
func (s *Sessions) Get(id string) *Session {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil {
		return nil
	}
	if !s.now().Before(sess.Expires) {
		delete(s.sessions, id)
		return nil
	}
	return sess
}

// Delete ends the session id names.
func (s *Sessions) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

// Len is the number of sessions held, expired ones included until they are swept.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

func (s *Sessions) sweepLocked(now time.Time) {
	for id, sess := range s.sessions {
		if !now.Before(sess.Expires) {
			delete(s.sessions, id)
		}
	}
}

func (s *Sessions) dropSoonestLocked() {
	var soonest *Session
	for _, sess := range s.sessions {
		if soonest == nil || sess.Expires.Before(soonest.Expires) {
			soonest = sess
		}
	}
	if soonest != nil {
		delete(s.sessions, soonest.ID)
	}
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

// CSRF tokens are synchronizer tokens tied to what they protect: HMAC-SHA256 of a binding (the session id, or
// the pre-session cookie of a browser that has not signed in) under the store's key. A token cannot be made
// without the key, nor used with another session.

func bindSession(id string) string   { return "session:" + id }
func bindPreSession(v string) string { return "presession:" + v }

// CSRFToken returns the CSRF token of binding.
func (s *Sessions) CSRFToken(binding string) string {
	m := hmac.New(sha256.New, s.key)
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
