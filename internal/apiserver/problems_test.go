package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/authn"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/ratelimit"
)

// oneToken authenticates the token "good" as alice.
type oneToken struct{}

func (oneToken) AuthenticateToken(_ context.Context, token string) (*authn.User, error) {
	if token == "good" {
		return &authn.User{Name: "alice"}, nil
	}
	return nil, authn.ErrUnauthenticated
}

// problemServer is a Server over an empty cluster that authenticates the token "good", with cfg's changes.
func problemServer(t *testing.T, mutate func(*Config)) *Server {
	t.Helper()
	store, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	scheme := runtime.NewScheme()
	if err := naasv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	cfg := Config{Cache: c, Reader: c, AsCaller: c, AsNaas: c, Authenticator: oneToken{}, Audit: store, Log: logr.Discard()}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do serves one request from remote with the bearer token (none when empty).
func do(s *Server, method, target, token, remote string, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if remote != "" {
		r.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, r)
	return rec
}

// problemOf decodes a problem document, failing the test unless it is a complete one: a type, a detail, the
// status of the response and the request id of its X-Request-Id header.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) httpx.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != httpx.ProblemContentType {
		t.Errorf("Content-Type = %q, want %s", ct, httpx.ProblemContentType)
	}
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body is not a problem: %v\n%s", err, rec.Body)
	}
	if p.Type == "" || p.Type == "about:blank" || p.Detail == "" || p.Status != rec.Code ||
		p.RequestID == "" || p.RequestID != rec.Header().Get(restv1.RequestIDHeader) {
		t.Errorf("incomplete problem %+v (status %d, X-Request-Id %q)", p, rec.Code, rec.Header().Get(restv1.RequestIDHeader))
	}
	return p
}

func TestHandler_UnauthenticatedAndGuardRefusalsAreFullProblems(t *testing.T) {
	s := problemServer(t, func(c *Config) {
		c.Guard = func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && r.Header.Get("Authorization") == "" {
					p := httpx.NewProblem(r, http.StatusForbidden, "send the CSRF token")
					p.Type = httpx.ProblemCSRF
					httpx.WriteProblem(w, p)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	})
	for _, c := range []struct {
		name, method, token string
		wantStatus          int
		wantType            string
	}{
		{"no credentials", http.MethodGet, "", 401, httpx.ProblemUnauthenticated},
		{"a bad token", http.MethodGet, "bad", 401, httpx.ProblemUnauthenticated},
		{"a write refused by the guard", http.MethodPost, "", 403, httpx.ProblemCSRF},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := do(s, c.method, restv1.Prefix+"/namespaces/request", c.token, "", "")
			if c.method == http.MethodGet {
				rec = do(s, c.method, restv1.Prefix+"/me", c.token, "", "")
			}
			if rec.Code != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.wantStatus, rec.Body)
			}
			if p := problemOf(t, rec); p.Type != c.wantType {
				t.Errorf("type %q, want %q", p.Type, c.wantType)
			}
		})
	}
}

func TestHandler_ControlCharactersInParametersAreRefusedNamingTheParameter(t *testing.T) {
	s := problemServer(t, nil)
	for _, c := range []struct {
		target    string
		wantField string
	}{
		{restv1.Prefix + "/namespaces/web%00/status", "namespace"},
		{restv1.Prefix + "/tenants/a%1b%5b31m", "name"},
		{restv1.Prefix + "/namespaces?tenant=pay%00", "tenant"},
		{restv1.Prefix + "/audit?user=alice%0d%0aforged", "user"},
	} {
		rec := do(s, http.MethodGet, c.target, "good", "", "")
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("%s: status %d, want 400: %s", c.target, rec.Code, rec.Body)
		}
		p := problemOf(t, rec)
		if len(p.Errors) != 1 || p.Errors[0].Field != c.wantField || p.Errors[0].Rule != ruleControlCharacter {
			t.Errorf("%s: errors %+v, want field %s with rule %s", c.target, p.Errors, c.wantField, ruleControlCharacter)
		}
	}
	// A JSON body's strings are checked too, as a 422 naming the field.
	rec := do(s, http.MethodPost, restv1.Prefix+"/namespaces/request", "good", "",
		`{"name":"web","tenant":"pay\u0000","template":"standard"}`)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("NUL in the body: status %d, want 422: %s", rec.Code, rec.Body)
	}
	if p := problemOf(t, rec); len(p.Errors) != 1 || p.Errors[0].Field != "tenant" || p.Errors[0].Rule != ruleControlCharacter {
		t.Errorf("NUL in the body: errors %+v, want field tenant", p.Errors)
	}
}

func TestHandler_NullBodyIsA400(t *testing.T) {
	s := problemServer(t, nil)
	rec := do(s, http.MethodPost, restv1.Prefix+"/namespaces/request", "good", "", "null")
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
	}
	if p := problemOf(t, rec); p.Type != restv1.ProblemMalformed || len(p.Errors) != 0 {
		t.Errorf("problem %+v, want a malformed request without field errors", p)
	}
}

func TestHandler_FailedAuthenticationsAreLimitedPerClientAddress(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	failures, err := ratelimit.NewFailures(ratelimit.FailureConfig{Rate: rate.Every(10 * time.Second), Burst: 3},
		func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	s := problemServer(t, func(c *Config) { c.AuthFailures = failures })
	const attacker, other = "192.0.2.1:4000", "198.51.100.7:5000"

	// No credentials at all is not a guess: it spends nothing.
	for range 5 {
		if rec := do(s, http.MethodGet, restv1.Prefix+"/me", "", attacker, ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("no credentials: %d", rec.Code)
		}
	}
	codes := map[int]int{}
	for i := range 100 {
		rec := do(s, http.MethodGet, restv1.Prefix+"/me", "guess-"+strconv.Itoa(i), attacker, "")
		codes[rec.Code]++
		if rec.Code == http.StatusTooManyRequests {
			if p := problemOf(t, rec); p.Type != httpx.ProblemRateLimited {
				t.Fatalf("429 of type %q", p.Type)
			}
			if secs, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || secs < 1 || secs > 10 {
				t.Fatalf("Retry-After %q, want 1 to 10 seconds", rec.Header().Get("Retry-After"))
			}
		}
	}
	if codes[http.StatusUnauthorized] != 3 || codes[http.StatusTooManyRequests] != 97 {
		t.Errorf("100 guesses from one address: %v, want 3 answered and 97 refused", codes)
	}
	// The attacker is refused even with a good token; someone else's good token works.
	if rec := do(s, http.MethodGet, restv1.Prefix+"/me", "good", attacker, ""); rec.Code != http.StatusTooManyRequests {
		t.Errorf("good token from the blocked address: %d, want 429", rec.Code)
	}
	if rec := do(s, http.MethodGet, restv1.Prefix+"/me", "good", other, ""); rec.Code != http.StatusOK {
		t.Errorf("good token from another address: %d %s, want 200", rec.Code, rec.Body)
	}
	// A failure comes back after 10 seconds: one more guess, then refused again.
	now = now.Add(10 * time.Second)
	if rec := do(s, http.MethodGet, restv1.Prefix+"/me", "guess-again", attacker, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("a guess after the refill: %d, want 401", rec.Code)
	}
	if rec := do(s, http.MethodGet, restv1.Prefix+"/me", "guess-more", attacker, ""); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the guess after that: %d, want 429", rec.Code)
	}
}

func TestProblemTypes_SharedOnesAreTheSameInHTTPXAndTheWireTypes(t *testing.T) {
	for _, c := range [][2]string{
		{httpx.ProblemMalformed, restv1.ProblemMalformed},
		{httpx.ProblemUnauthenticated, restv1.ProblemUnauthenticated},
		{httpx.ProblemForbidden, restv1.ProblemForbidden},
		{httpx.ProblemCSRF, restv1.ProblemCSRF},
		{httpx.ProblemNotFound, restv1.ProblemNotFound},
		{httpx.ProblemRateLimited, restv1.ProblemRateLimited},
		{httpx.ProblemUnavailable, restv1.ProblemUnavailable},
		{httpx.ProblemInternal, restv1.ProblemInternal},
	} {
		if c[0] != c[1] {
			t.Errorf("httpx writes %q where api/rest/v1 names %q", c[0], c[1])
		}
	}
}
