package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/authn/oidctest"
	"github.com/naas-dev/naas/internal/ratelimit"
)

// These tests cover what the portal itself decides: sign-in, sessions, CSRF, OIDC and error pages. What the
// API decides (who may see and do what, validation) is tested against the real control plane in test/e2e.

// tokens authenticates fixed tokens.
type tokens map[string]authn.User

func (t tokens) AuthenticateToken(_ context.Context, token string) (*authn.User, error) {
	if u, ok := t[token]; ok {
		return &u, nil
	}
	return nil, fmt.Errorf("%w: unknown token", authn.ErrUnauthenticated)
}

// whoAmI stands in for the REST API: it authenticates as the API does (bearer token or session cookie) and
// answers GET /api/v1/me with the caller; every other route is 404.
func whoAmI(a authn.Authenticator, s *Sessions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, r *http.Request) {
		u, _ := authn.UserFrom(r.Context())
		_ = json.NewEncoder(w).Encode(restv1.Me{Username: u.Name, Groups: u.Groups, Tenants: []restv1.TenantMembership{}})
	})
	mux.HandleFunc("POST /api/v1/anything", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return authn.MiddlewareWithOptions(a, s.AuthOptions(), mux)
}

type testPortal struct {
	srv      *httptest.Server
	portal   *Portal
	sessions *Sessions
}

// startPortal serves the portal and the stand-in API as naas's mux does. mutate gets the config and the
// server's base URL; it may replace the stand-in API (cfg.API), which naas's mux then serves too.
func startPortal(t *testing.T, a authn.Authenticator, mutate func(c *Config, base string)) *testPortal {
	t.Helper()
	sessions, err := NewSessions(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	api := whoAmI(a, sessions)
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	cfg := Config{API: api, Sessions: sessions, Authenticator: a, Cache: fake.NewClientBuilder().Build(), Log: logr.Discard()}
	if mutate != nil {
		mutate(&cfg, "http://"+srv.Listener.Addr().String())
	}
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(restv1.Prefix+"/", sessions.GuardAPI(cfg.API))
	mux.Handle("/", p.Handler())
	srv.Start()
	t.Cleanup(srv.Close)
	return &testPortal{srv: srv, portal: p, sessions: sessions}
}

// browser is an HTTP client with a cookie jar that does not follow redirects, so tests see each one.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// reply is a response, read and closed.
type reply struct {
	StatusCode int
	Header     http.Header
	cookies    []*http.Cookie
}

func (r *reply) Cookies() []*http.Cookie { return r.cookies }

func do(t *testing.T, c *http.Client, req *http.Request) (*reply, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &reply{StatusCode: resp.StatusCode, Header: resp.Header, cookies: resp.Cookies()}, string(b)
}

func get(t *testing.T, c *http.Client, u string) (*reply, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*reply, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", body)
	}
	return m[1]
}

func cookieOf(resp *reply, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func signIn(t *testing.T, tp *testPortal, c *http.Client, token, next string) *reply {
	t.Helper()
	_, body := get(t, c, tp.srv.URL+"/signin")
	resp, _ := postForm(t, c, tp.srv.URL+"/signin", url.Values{"csrf": {csrfOf(t, body)}, "token": {token}, "next": {next}})
	return resp
}

var alice = tokens{"alice-token": {Name: "alice", Groups: []string{"team-alice"}}}

func TestSignIn_WithATokenReturnsToThePageAskedFor(t *testing.T) {
	tp := startPortal(t, alice, nil)
	c := browser(t)

	resp, _ := get(t, c, tp.srv.URL+"/catalog/standard")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next=%2Fcatalog%2Fstandard" {
		t.Fatalf("signed out: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = signIn(t, tp, c, "alice-token", "/catalog/standard")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/catalog/standard" {
		t.Fatalf("sign-in: %d to %q, want 303 back to /catalog/standard", resp.StatusCode, resp.Header.Get("Location"))
	}
	sc := cookieOf(resp, SessionCookie)
	switch {
	case sc == nil:
		t.Fatal("no session cookie")
	case !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/":
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/", sc)
	case sc.Secure:
		t.Error("the session cookie is Secure over plain http: the browser would never send it back")
	case strings.Contains(sc.Value, "alice-token"):
		t.Error("the cookie carries the token")
	}

	// The session cookie authenticates the API too.
	resp, body := get(t, c, tp.srv.URL+"/api/v1/me")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"username":"alice"`) {
		t.Errorf("API with the session cookie: %d %s", resp.StatusCode, body)
	}
	// Signed in, the sign-in page sends on to where the user was going.
	if resp, _ := get(t, c, tp.srv.URL+"/signin?next=/tenants"); resp.Header.Get("Location") != "/tenants" {
		t.Errorf("sign-in page when signed in: %d to %q, want 303 to /tenants", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSignIn_RefusesAWrongTokenAndAForgedForm(t *testing.T) {
	tp := startPortal(t, alice, nil)
	c := browser(t)
	resp := signIn(t, tp, c, "not-a-token", "/")
	if resp.StatusCode != http.StatusUnauthorized || cookieOf(resp, SessionCookie) != nil {
		t.Errorf("wrong token: %d, session cookie %v; want 401 and none", resp.StatusCode, cookieOf(resp, SessionCookie))
	}
	// A form posted from elsewhere has no valid token for this browser's pre-session.
	resp, body := postForm(t, browser(t), tp.srv.URL+"/signin", url.Values{"csrf": {"forged"}, "token": {"alice-token"}})
	if resp.StatusCode != http.StatusForbidden || cookieOf(resp, SessionCookie) != nil || !strings.Contains(body, "Try again") {
		t.Errorf("forged sign-in form: %d; want 403 with no session", resp.StatusCode)
	}
}

func TestSignIn_SaysHowToConfigureAuthenticationWhenThereIsNone(t *testing.T) {
	tp := startPortal(t, alice, func(c *Config, _ string) { c.Authenticator = nil })
	_, body := get(t, browser(t), tp.srv.URL+"/signin")
	if !strings.Contains(body, "--token-file") || !strings.Contains(body, "--oidc-issuer-url") {
		t.Errorf("the sign-in page does not say how to configure authentication:\n%s", body)
	}
}

func TestSignOut_EndsTheSessionForThePortalAndTheAPI(t *testing.T) {
	tp := startPortal(t, alice, nil)
	c := browser(t)
	signIn(t, tp, c, "alice-token", "/")
	u, _ := url.Parse(tp.srv.URL)
	old := c.Jar.Cookies(u)

	// Signing out needs the session's CSRF token, from any page's sign-out form.
	resp, _ := postForm(t, c, tp.srv.URL+"/signout", url.Values{"csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged sign-out: %d, want 403", resp.StatusCode)
	}
	var sessionID string
	for _, ck := range old {
		if ck.Name == SessionCookie {
			sessionID = ck.Value
		}
	}
	resp, _ = postForm(t, c, tp.srv.URL+"/signout", url.Values{"csrf": {tp.sessions.CSRFToken(bindSession(sessionID))}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?reason=signedout" {
		t.Fatalf("sign-out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The old cookie, replayed, is worth nothing.
	replay := browser(t)
	replay.Jar.SetCookies(u, old)
	if resp, _ := get(t, replay, tp.srv.URL+"/api/v1/me"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with the signed-out cookie: %d, want 401", resp.StatusCode)
	}
	if resp, _ := get(t, replay, tp.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("portal with the signed-out cookie: %d, want 303 to sign-in", resp.StatusCode)
	}
}

func TestForms_RefuseAPostWithoutTheSessionsCSRFToken(t *testing.T) {
	tp := startPortal(t, alice, nil)
	c := browser(t)
	signIn(t, tp, c, "alice-token", "/")
	for _, form := range []url.Values{
		{"name": {"x"}, "template": {"standard"}},
		{"name": {"x"}, "template": {"standard"}, "csrf": {tp.sessions.CSRFToken(bindSession("someone-else"))}},
	} {
		resp, body := postForm(t, c, tp.srv.URL+"/request", form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "reload the page") {
			t.Errorf("POST /request with csrf %q: %d; want 403 saying to reload", form.Get("csrf"), resp.StatusCode)
		}
	}
	// The API refuses a write that only the cookie authenticates, unless the CSRF header comes with it.
	req, _ := http.NewRequest(http.MethodPost, tp.srv.URL+"/api/v1/anything", nil)
	if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cookie-authenticated API write without %s: %d, want 403", CSRFHeader, resp.StatusCode)
	}
}

func TestCookies_AreSecureWhenThePortalIsServedOverHTTPS(t *testing.T) {
	tp := startPortal(t, alice, func(c *Config, _ string) { c.PublicURL = "https://naas.example.com" })
	resp, _ := get(t, browser(t), tp.srv.URL+"/signin")
	if c := cookieOf(resp, preSessionCookie); c == nil || !c.Secure || !c.HttpOnly {
		t.Errorf("pre-session cookie %+v: want Secure and HttpOnly behind an https portal URL", c)
	}
}

func TestPages_HaveSecurityHeadersAndErrorPagesSayWhatToDo(t *testing.T) {
	tp := startPortal(t, alice, nil)
	c := browser(t)
	signIn(t, tp, c, "alice-token", "/")
	resp, body := get(t, c, tp.srv.URL+"/no/such/page")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
	for _, want := range []string{"Page not found", "Check the address", `href="/"`, "Request id"} {
		if !strings.Contains(body, want) {
			t.Errorf("the 404 page lacks %q", want)
		}
	}
	h := resp.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get(restv1.RequestIDHeader) == "" {
		t.Errorf("security headers missing: %v", h)
	}
	// The stylesheet and script are served from the binary.
	for _, path := range []string{"/static/portal.css", "/static/portal.js"} {
		if resp, body := get(t, c, tp.srv.URL+path); resp.StatusCode != http.StatusOK || len(body) < 100 {
			t.Errorf("GET %s: %d, %d bytes", path, resp.StatusCode, len(body))
		}
	}
}

// oidcPortal serves the portal with single sign-on through a loopback issuer.
func oidcPortal(t *testing.T) (*testPortal, *oidctest.Issuer) {
	t.Helper()
	iss := oidctest.New(t)
	a, err := authn.NewOIDC(context.Background(), authn.OIDCConfig{
		IssuerURL: iss.URL(), Audience: oidctest.Audience, UsernameClaim: "email", HTTPClient: iss.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tp := startPortal(t, a, func(c *Config, base string) {
		c.OIDC = &OIDCConfig{
			IssuerURL: iss.URL(), ClientID: oidctest.Audience, Scopes: []string{"email", "groups"},
			HTTPClient: iss.Client(), RedirectURL: base + oidcCallbackPath,
		}
	})
	return tp, iss
}

// follow follows redirects by hand (through the issuer too) until one leaves for a path of the portal that is
// not the OIDC callback, and returns that response.
func follow(t *testing.T, c *http.Client, start string) (*reply, string) {
	t.Helper()
	u := start
	for range 10 {
		resp, body := get(t, c, u)
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || (strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, oidcCallbackPath)) {
			return resp, body
		}
		next, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		base, _ := url.Parse(u)
		u = base.ResolveReference(next).String()
	}
	t.Fatal("too many redirects")
	return nil, ""
}

func TestOIDC_SignsInWithTheCodeFlowAndPKCE(t *testing.T) {
	tp, iss := oidcPortal(t)
	iss.SignInAs(map[string]any{"sub": "u-1", "email": "alice@example.com", "email_verified": true, "groups": []string{"devs"}})
	c := browser(t)
	c.Transport = iss.Client().Transport // trusts the issuer's certificate; the portal is plain http

	// The sign-in page offers single sign-on.
	_, body := get(t, c, tp.srv.URL+"/signin?next=/catalog")
	if !strings.Contains(body, "/auth/oidc/login?next=%2Fcatalog") {
		t.Fatalf("no single sign-on link on the sign-in page:\n%s", body)
	}
	resp, _ := get(t, c, tp.srv.URL+"/auth/oidc/login?next=/catalog")
	authURL, _ := url.Parse(resp.Header.Get("Location"))
	q := authURL.Query()
	if !strings.HasPrefix(authURL.String(), iss.URL()+"/auth") || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("authorization request %s lacks PKCE S256, a nonce, a state or the openid scope", authURL)
	}

	resp, _ = follow(t, c, tp.srv.URL+"/auth/oidc/login?next=/catalog")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/catalog" {
		t.Fatalf("after the callback: %d to %q, want 303 to /catalog", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get(t, c, tp.srv.URL+"/api/v1/me")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"username":"alice@example.com"`) || !strings.Contains(body, `"devs"`) {
		t.Errorf("signed in as %s (%d), want alice@example.com in group devs", body, resp.StatusCode)
	}
}

func TestOIDC_RefusesACallbackThisBrowserDidNotStartOrReplays(t *testing.T) {
	tp, iss := oidcPortal(t)
	iss.SignInAs(map[string]any{"sub": "u-1", "email": "alice@example.com"})
	victim := browser(t)
	victim.Transport = iss.Client().Transport
	attacker := browser(t)
	attacker.Transport = iss.Client().Transport

	// The attacker starts a sign-in and stops at the callback URL, which they would plant on the victim.
	resp, _ := get(t, attacker, tp.srv.URL+"/auth/oidc/login")
	resp, _ = get(t, attacker, resp.Header.Get("Location"))
	callback := resp.Header.Get("Location")
	if !strings.Contains(callback, oidcCallbackPath) {
		t.Fatalf("the issuer did not send back to the callback: %q", callback)
	}
	resp, body := get(t, victim, callback)
	if resp.StatusCode != http.StatusBadRequest || cookieOf(resp, SessionCookie) != nil || !strings.Contains(body, "not started from this browser") {
		t.Errorf("planted callback: %d; want 400 and no session", resp.StatusCode)
	}
	// The attacker's own browser may finish once, not twice.
	if resp, _ := get(t, attacker, callback); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("first use of the callback: %d, want 303", resp.StatusCode)
	}
	if resp, _ := get(t, attacker, callback); resp.StatusCode == http.StatusSeeOther {
		t.Error("the callback was accepted twice")
	}
}

func TestOIDC_SaysWhyWhenTheIssuerRefuses(t *testing.T) {
	tp, iss := oidcPortal(t) // Nobody signs in: the issuer answers access_denied.
	c := browser(t)
	c.Transport = iss.Client().Transport
	resp, body := follow(t, c, tp.srv.URL+"/auth/oidc/login")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "access_denied") || !strings.Contains(body, "Try again") {
		t.Errorf("refused sign-in: %d, want 401 naming the issuer's error and what to do:\n%s", resp.StatusCode, body)
	}
	if cookieOf(resp, SessionCookie) != nil {
		t.Error("a refused sign-in made a session")
	}
}

func TestSignIn_HintNamesTheAdminTokenWhereNaasUpWroteIt(t *testing.T) {
	tp := startPortal(t, alice, func(c *Config, _ string) { c.AdminTokenFile = "/srv/naas-state/admin-token" })
	_, body := get(t, browser(t), tp.srv.URL+"/signin")
	if !strings.Contains(body, "<code>/srv/naas-state/admin-token</code>") || strings.Contains(body, ".naas/admin-token") {
		t.Errorf("the sign-in hint does not name the data directory's admin token:\n%s", body)
	}
	// Without naas up, no path is made up.
	tp = startPortal(t, alice, nil)
	if _, body := get(t, browser(t), tp.srv.URL+"/signin"); strings.Contains(body, ".naas/admin-token") {
		t.Errorf("the sign-in hint names a path naas did not write:\n%s", body)
	}
}

func TestSignIn_FailedSignInsAreLimitedPerAddress(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	failures, err := ratelimit.NewFailures(ratelimit.FailureConfig{Rate: rate.Every(time.Minute), Burst: 2}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	tp := startPortal(t, alice, func(c *Config, _ string) { c.AuthFailures = failures })
	c := browser(t)
	var codes []int
	for _, token := range []string{"guess-1", "guess-2", "guess-3", "alice-token"} {
		codes = append(codes, signIn(t, tp, c, token, "/").StatusCode)
	}
	want := []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusTooManyRequests}
	if !slices.Equal(codes, want) {
		t.Errorf("sign-ins: %v, want %v", codes, want)
	}
	u, _ := url.Parse(tp.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == SessionCookie {
			t.Errorf("a session cookie was issued to a blocked address")
		}
	}
}
