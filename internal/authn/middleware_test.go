package authn_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/authn/oidctest"
	"github.com/naas-dev/naas/internal/httpx"
)

// authenticatorFunc adapts a function to authn.Authenticator.
type authenticatorFunc func(ctx context.Context, token string) (*authn.User, error)

func (f authenticatorFunc) AuthenticateToken(ctx context.Context, token string) (*authn.User, error) {
	return f(ctx, token)
}

// whoami answers with the name of the authenticated user and whether it saw an Authorization header.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	u, ok := authn.UserFrom(r.Context())
	if !ok {
		http.Error(w, "no user in context", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "%s authorization=%q", u.Name, r.Header.Get("Authorization"))
})

func staticTokens(t *testing.T) authn.Authenticator {
	t.Helper()
	tf, err := authn.ParseTokenFile(strings.NewReader("alice-token,alice,1\nbob-token,bob,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

func TestMiddleware(t *testing.T) {
	iss := oidctest.New(t)
	a := authn.Union{staticTokens(t), newOIDC(t, iss, authn.OIDCConfig{})}
	down := authenticatorFunc(func(context.Context, string) (*authn.User, error) {
		return nil, errors.New("dial tcp: connection refused")
	})
	sessions := authn.Options{
		CookieName: "naas_session",
		SessionToken: func(_ context.Context, id string) (string, error) {
			if id == "session-1" {
				return "bob-token", nil
			}
			return "", fmt.Errorf("%w: the session expired; sign in again", authn.ErrUnauthenticated)
		},
	}

	tests := []struct {
		name      string
		auth      authn.Authenticator
		opts      authn.Options
		header    string
		cookie    string
		wantCode  int
		wantBody  string // for 200
		wantChall string // WWW-Authenticate, for 401
	}{
		{name: "static token", auth: a, header: "Bearer alice-token", wantCode: 200, wantBody: `alice authorization=""`},
		{name: "scheme is case-insensitive", auth: a, header: "bearer alice-token", wantCode: 200, wantBody: `alice authorization=""`},
		{name: "OIDC token", auth: a, header: "Bearer " + iss.Token(map[string]any{"sub": "carol"}, time.Hour), wantCode: 200, wantBody: `carol authorization=""`},
		{name: "no credentials", auth: a, wantCode: 401, wantChall: `Bearer realm="naas"`},
		{name: "unknown token", auth: a, header: "Bearer nope", wantCode: 401, wantChall: `Bearer realm="naas", error="invalid_token"`},
		{name: "expired OIDC token", auth: a, header: "Bearer " + iss.Token(nil, -time.Hour), wantCode: 401, wantChall: `Bearer realm="naas", error="invalid_token"`},
		{name: "basic credentials", auth: a, header: "Basic YWxpY2U6cHc=", wantCode: 401, wantChall: `Bearer realm="naas", error="invalid_token"`},
		{name: "bearer without token", auth: a, header: "Bearer ", wantCode: 401, wantChall: `Bearer realm="naas", error="invalid_token"`},
		{name: "cookie ignored without options", auth: a, cookie: "alice-token", wantCode: 401, wantChall: `Bearer realm="naas"`},
		{name: "cookie holding the token", auth: a, opts: authn.Options{CookieName: "naas_session"}, cookie: "alice-token", wantCode: 200, wantBody: `alice authorization=""`},
		{name: "session cookie", auth: a, opts: sessions, cookie: "session-1", wantCode: 200, wantBody: `bob authorization=""`},
		{name: "expired session", auth: a, opts: sessions, cookie: "session-0", wantCode: 401, wantChall: `Bearer realm="naas", error="invalid_token"`},
		{name: "header wins over cookie", auth: a, opts: sessions, header: "Bearer alice-token", cookie: "session-1", wantCode: 200, wantBody: `alice authorization=""`},
		{name: "bad header does not fall back to cookie", auth: a, opts: sessions, header: "Bearer nope", cookie: "session-1", wantCode: 401, wantChall: `Bearer realm="naas", error="invalid_token"`},
		{name: "authenticator down", auth: down, header: "Bearer alice-token", wantCode: 503},
		{name: "authenticator down behind union", auth: authn.Union{staticTokens(t), down}, header: "Bearer x", wantCode: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/namespaces", nil)
			r = r.WithContext(httpx.WithRequestID(r.Context(), "req-7"))
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "naas_session", Value: tt.cookie})
			}
			rec := httptest.NewRecorder()
			authn.MiddlewareWithOptions(tt.auth, tt.opts, whoami).ServeHTTP(rec, r)

			if rec.Code != tt.wantCode {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantCode, rec.Body)
			}
			if tt.wantCode == http.StatusOK {
				if got := rec.Body.String(); got != tt.wantBody {
					t.Errorf("body = %q, want %q", got, tt.wantBody)
				}
				return
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChall {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChall)
			}
			if got := rec.Header().Get("Content-Type"); got != httpx.ProblemContentType {
				t.Errorf("Content-Type = %q, want %q", got, httpx.ProblemContentType)
			}
			var p httpx.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("body is not a problem document: %v\n%s", err, rec.Body)
			}
			if p.Status != tt.wantCode || p.RequestID != "req-7" || p.Instance != "/api/v1/namespaces" || p.Detail == "" {
				t.Errorf("problem = %+v, want status %d, request id req-7, the path as instance and a detail", p, tt.wantCode)
			}
			if strings.Contains(p.Detail, "connection refused") {
				t.Errorf("problem detail %q leaks an internal error", p.Detail)
			}
		})
	}
}

func TestMiddleware_RequestWithoutCredentialsNeverReachesHandler(t *testing.T) {
	reached := false
	h := authn.Middleware(staticTokens(t), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodDelete, "/api/v1/namespaces/a", nil))
	if reached {
		t.Error("the handler ran for an unauthenticated request")
	}
}

func TestUnion_TriesEachInOrder(t *testing.T) {
	refuse := authenticatorFunc(func(context.Context, string) (*authn.User, error) {
		return nil, fmt.Errorf("%w: not mine", authn.ErrUnauthenticated)
	})
	user := func(name string) authn.Authenticator {
		return authenticatorFunc(func(context.Context, string) (*authn.User, error) { return &authn.User{Name: name}, nil })
	}
	down := authenticatorFunc(func(context.Context, string) (*authn.User, error) { return nil, errors.New("issuer down") })

	tests := []struct {
		name     string
		union    authn.Union
		wantUser string
		// wantUnauthenticated is whether the error matches ErrUnauthenticated, when there is no user.
		wantUnauthenticated bool
	}{
		{name: "first that accepts wins", union: authn.Union{refuse, user("a"), user("b")}, wantUser: "a"},
		{name: "accepted despite an earlier failure", union: authn.Union{down, user("a")}, wantUser: "a"},
		{name: "all refuse", union: authn.Union{refuse, refuse}, wantUnauthenticated: true},
		{name: "a failure is not a refusal", union: authn.Union{refuse, down}},
		{name: "empty union refuses", union: authn.Union{}, wantUnauthenticated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := tt.union.AuthenticateToken(context.Background(), "t")
			if tt.wantUser != "" {
				if err != nil || u == nil || u.Name != tt.wantUser {
					t.Fatalf("AuthenticateToken = %v, %v; want user %s", u, err, tt.wantUser)
				}
				return
			}
			if err == nil {
				t.Fatalf("AuthenticateToken = %v, want an error", u)
			}
			if got := errors.Is(err, authn.ErrUnauthenticated); got != tt.wantUnauthenticated {
				t.Errorf("errors.Is(%v, ErrUnauthenticated) = %v, want %v", err, got, tt.wantUnauthenticated)
			}
		})
	}
}

func TestUserFrom(t *testing.T) {
	if _, ok := authn.UserFrom(context.Background()); ok {
		t.Error("UserFrom of a bare context reported a user")
	}
	want := &authn.User{Name: "alice", Groups: []string{"dev"}}
	got, ok := authn.UserFrom(authn.WithUser(context.Background(), want))
	if !ok {
		t.Fatal("UserFrom lost the user")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user mismatch (-want +got):\n%s", diff)
	}
}
