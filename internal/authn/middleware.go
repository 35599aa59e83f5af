package authn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-logr/logr"

	"github.com/naas-dev/naas/internal/httpx"
)

// DefaultRealm is the realm named in the WWW-Authenticate challenge.
const DefaultRealm = "naas"

// Options tune Middleware.
type Options struct {
	// CookieName names the cookie that carries the token of a portal session. A request without an
	// Authorization header is authenticated by this cookie. Empty means sessions are not accepted.
	//
	// A browser sends cookies with requests other sites make it send, so handlers that change state must
	// protect cookie sessions against cross-site request forgery (SameSite cookies and a CSRF token).
	CookieName string
	// SessionToken turns the cookie's value into the bearer token to authenticate, for a portal that keeps
	// tokens server side or sealed. Nil means the cookie's value is the token. An error matching
	// ErrUnauthenticated (an expired or unknown session) is answered with 401, any other with 503.
	SessionToken func(ctx context.Context, cookieValue string) (string, error)
	// Realm is the realm of the WWW-Authenticate challenge. Default DefaultRealm.
	Realm string
}

// Middleware authenticates every request with a bearer token from its Authorization header, passes it on to
// next with the User in its context (see UserFrom), and otherwise answers 401 with a WWW-Authenticate
// challenge and a problem document. It is MiddlewareWithOptions with the zero Options.
func Middleware(a Authenticator, next http.Handler) http.Handler {
	return MiddlewareWithOptions(a, Options{}, next)
}

// MiddlewareWithOptions is Middleware that also accepts the token of a portal session cookie, as opts say.
// Requests with no credentials, malformed credentials or a token that authenticates no one get 401; a
// request whose token could not be checked (the identity provider is down) gets 503, since the token may well
// be valid. The Authorization header is removed from the request next sees, so it cannot leak further.
func MiddlewareWithOptions(a Authenticator, opts Options, next http.Handler) http.Handler {
	realm := opts.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := opts.token(r)
		var user *User
		if err == nil {
			user, err = a.AuthenticateToken(r.Context(), token)
		}
		if err == nil && user == nil {
			err = unauthenticated("no user for the token")
		}
		if err != nil {
			writeAuthError(w, r, realm, err)
			return
		}
		r2 := r.WithContext(withToken(WithUser(r.Context(), user), token))
		r2.Header = r.Header.Clone()
		r2.Header.Del("Authorization")
		next.ServeHTTP(w, r2)
	})
}

// errNoCredentials is the refusal of a request that presents no token at all; RFC 6750 says its challenge
// carries no error code.
var errNoCredentials = fmt.Errorf("%w: no credentials: send the header \"Authorization: Bearer <token>\"", ErrUnauthenticated)

// token returns the bearer token of r: from the Authorization header if it has one, otherwise from the session
// cookie.
func (o Options) token(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", unauthenticated("the Authorization header must be \"Bearer <token>\"; other schemes are not accepted")
		}
		token = strings.TrimSpace(token)
		if token == "" || strings.ContainsAny(token, " \t") {
			return "", unauthenticated("the Authorization header must be \"Bearer <token>\" with a token without spaces")
		}
		return token, nil
	}
	if o.CookieName == "" {
		return "", errNoCredentials
	}
	c, err := r.Cookie(o.CookieName)
	if err != nil || c.Value == "" {
		return "", errNoCredentials
	}
	if o.SessionToken == nil {
		return c.Value, nil
	}
	token, err := o.SessionToken(r.Context(), c.Value)
	if err != nil {
		return "", fmt.Errorf("session cookie %s: %w", o.CookieName, err)
	}
	if token == "" {
		return "", unauthenticated("the session has no token; sign in again")
	}
	return token, nil
}

// writeAuthError answers a request that failed authentication.
func writeAuthError(w http.ResponseWriter, r *http.Request, realm string, err error) {
	if !errors.Is(err, ErrUnauthenticated) {
		logr.FromContextOrDiscard(r.Context()).Error(err, "Cannot authenticate request", "path", r.URL.Path)
		httpx.WriteProblem(w, httpx.NewProblem(r, http.StatusServiceUnavailable,
			"the request's credentials cannot be checked right now; retry later"))
		return
	}
	challenge := fmt.Sprintf("Bearer realm=%q", realm)
	if !errors.Is(err, errNoCredentials) {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	// Union joins the reasons of each authenticator with newlines; keep the detail on one line.
	httpx.WriteProblem(w, httpx.NewProblem(r, http.StatusUnauthorized, strings.ReplaceAll(err.Error(), "\n", "; ")))
}

// tokenKey is the context key of the bearer token a request authenticated with.
type tokenKey struct{}

func withToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// TokenFrom returns the bearer token the request of ctx authenticated with (from its Authorization header or its
// portal session), for the handlers that hand the caller their own credentials back, such as a kubeconfig. It
// must never be logged or sent anywhere but to the caller.
func TokenFrom(ctx context.Context) (string, bool) {
	t, ok := ctx.Value(tokenKey{}).(string)
	return t, ok && t != ""
}
