package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/httpx"
	"github.com/naas-dev/naas/internal/ratelimit"
	"github.com/naas-dev/naas/internal/setup"
)

// fullProblem decodes a problem and fails the test unless it has a naas problem type and the request id of the
// response's X-Request-Id header.
func fullProblem(t *testing.T, r response) httpx.Problem {
	t.Helper()
	p := r.problem(t)
	if !strings.HasPrefix(p.Type, httpx.ProblemTypeBase) {
		t.Errorf("problem type %q, want one of naas's (%s...): %s", p.Type, httpx.ProblemTypeBase, r)
	}
	if p.RequestID == "" || p.RequestID != r.header.Get("X-Request-Id") {
		t.Errorf("problem requestId %q, X-Request-Id %q: want both, equal: %s", p.RequestID, r.header.Get("X-Request-Id"), r)
	}
	return p
}

// withoutRequestID is a response body with its request id blanked, to compare two answers byte for byte.
func withoutRequestID(t *testing.T, r response) string {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	delete(m, "requestId")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAPI_ATenantTheCallerIsNotInIsAnsweredAsATenantThatDoesNotExist(t *testing.T) {
	ctx := context.Background()
	p := startPlatform(t, platformConfig{})
	createTenant(t, "globex", nil, user("carol", naasv1alpha1.RoleAdmin))
	createTenant(t, "initech", nil, user("bob", naasv1alpha1.RoleAdmin))
	body := map[string]any{"name": "globex-web", "tenant": "globex", "template": "standard"}

	// bob is not in globex: requesting there, reading it and its audit log look as if it did not exist...
	inGlobex := p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", body)
	tenant := p.call(t, as("bob"), http.MethodGet, "/api/v1/tenants/globex", nil)
	auditLog := p.call(t, as("bob"), http.MethodGet, "/api/v1/audit?tenant=globex", nil)
	expect(t, tenant, http.StatusNotFound, "bob reading tenant globex")
	if p := fullProblem(t, inGlobex); strings.Contains(p.Detail, "member of tenant") && !strings.Contains(p.Detail, "does not exist") {
		t.Errorf("the answer tells bob that globex exists: %s", inGlobex)
	}
	if env.ClaimExists(t, "globex-web") {
		t.Fatal("bob's request in globex created a claim")
	}

	// ...byte for byte, but for the request id: compare with the answers once globex is gone.
	if err := env.Client.Delete(ctx, &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "globex"}}); err != nil {
		t.Fatal(err)
	}
	poll(t, 30*time.Second, "tenant globex gone", func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Name: "globex"}, &naasv1alpha1.Tenant{})
		if client.IgnoreNotFound(err) != nil {
			return err
		}
		if err == nil {
			return errString("still there")
		}
		// The API reads its cache: carol (globex's admin) sees it until the cache has caught up.
		if r := p.call(t, as("carol"), http.MethodGet, "/api/v1/tenants/globex", nil); r.status != http.StatusNotFound {
			return errString("the API still has it: " + r.String())
		}
		return nil
	})
	for _, c := range []struct {
		what   string
		before response
		after  response
	}{
		{"request a namespace", inGlobex, p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", body)},
		{"read the tenant", tenant, p.call(t, as("bob"), http.MethodGet, "/api/v1/tenants/globex", nil)},
		{"read its audit log", auditLog, p.call(t, as("bob"), http.MethodGet, "/api/v1/audit?tenant=globex", nil)},
	} {
		if c.before.status != c.after.status || withoutRequestID(t, c.before) != withoutRequestID(t, c.after) {
			t.Errorf("%s: a tenant bob is not in and one that does not exist answer differently:\n  not a member: %s\n  no tenant:    %s",
				c.what, c.before, c.after)
		}
	}
}

// errString is an error of a fixed text.
type errString string

func (e errString) Error() string { return string(e) }

// clientFrom is an HTTP client whose connections come from the loopback address ip, so that the server sees
// another client address.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 30 * time.Second}
}

func getFrom(t *testing.T, c *http.Client, url, token string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestAPI_BadTokenGuessesAreCutOffPerClientAddress(t *testing.T) {
	p := startPlatform(t, platformConfig{mutate: func(o *setup.Options) {
		// Failures come back once a minute, so that the test's own pace does not matter.
		o.API.AuthFailures = ratelimit.FailureConfig{Rate: rate.Every(time.Minute), Burst: 5}
	}})
	attacker, other := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	codes := map[int]int{}
	for i := range 100 {
		r := getFrom(t, attacker, p.base+"/api/v1/me", "guess-"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
		codes[r.status]++
		if r.status == http.StatusTooManyRequests {
			if prob := fullProblem(t, r); prob.Type != httpx.ProblemRateLimited || r.header.Get("Retry-After") == "" {
				t.Fatalf("429 %s: want a rate-limited problem with Retry-After", r)
			}
		}
	}
	if codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != 95 {
		t.Errorf("100 bad tokens from one address: %v, want 5 answered and 95 cut off", codes)
	}
	// The guesser's address is refused even with a good token; a good token from another address still works.
	if r := getFrom(t, attacker, p.base+"/api/v1/me", as("alice")); r.status != http.StatusTooManyRequests {
		t.Errorf("alice's token from the guessing address: %s, want 429", r)
	}
	if r := getFrom(t, other, p.base+"/api/v1/me", as("alice")); r.status != http.StatusOK {
		t.Errorf("alice's token from another address: %s, want 200", r)
	}
	// And a bad token from that other address is still answered: the addresses are counted apart.
	if r := getFrom(t, other, p.base+"/api/v1/me", "another-guess"); r.status != http.StatusUnauthorized {
		t.Errorf("a bad token from the other address: %s, want 401", r)
	}
}

func TestAPI_RefusalsOfEveryLayerAreFullProblems(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "layers", nil, user("bob", naasv1alpha1.RoleDeveloper))

	// The authentication middleware's 401s.
	for _, token := range []string{"", "not-a-token"} {
		r := p.call(t, token, http.MethodGet, "/api/v1/me", nil)
		expect(t, r, http.StatusUnauthorized, "token "+token)
		if prob := fullProblem(t, r); prob.Type != httpx.ProblemUnauthenticated {
			t.Errorf("401 of type %q", prob.Type)
		}
	}

	// The portal session's CSRF check: a write with the session cookie and no CSRF header.
	browser := signInToPortal(t, p, as("bob"))
	req, err := http.NewRequest(http.MethodPost, p.base+"/api/v1/namespaces/request",
		bytes.NewReader([]byte(`{"name":"layers-web","tenant":"layers","template":"standard"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header, body: raw}
	expect(t, r, http.StatusForbidden, "a cookie write without the CSRF header")
	if prob := fullProblem(t, r); prob.Type != httpx.ProblemCSRF {
		t.Errorf("CSRF 403 of type %q", prob.Type)
	}

	// A NUL in a path or query parameter is refused, naming the parameter.
	for _, c := range []struct{ path, field string }{
		{"/api/v1/namespaces/layers%00web/status", "namespace"},
		{"/api/v1/namespaces?tenant=layers%00", "tenant"},
	} {
		r := p.call(t, as("bob"), http.MethodGet, c.path, nil)
		expect(t, r, http.StatusBadRequest, c.path)
		if prob := fullProblem(t, r); len(prob.Errors) != 1 || prob.Errors[0].Field != c.field || prob.Errors[0].Rule != "controlCharacter" {
			t.Errorf("%s: errors %+v, want field %s", c.path, prob.Errors, c.field)
		}
	}
}

func TestAPI_AClaimOnANamespaceNaasDidNotMakeIsAReadable422ForEveryone(t *testing.T) {
	p := startPlatform(t, platformConfig{})
	createTenant(t, "sys", nil, user("bob", naasv1alpha1.RoleDeveloper))
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "kube-system"}, &corev1.Namespace{}); err != nil {
		t.Fatal(err)
	}
	// A platform admin too: admission would only warn them, and the claim would be left behind, Failed.
	for _, who := range []string{"bob", "platform-admin"} {
		r := p.call(t, as(who), http.MethodPost, "/api/v1/namespaces/request",
			map[string]any{"name": "kube-system", "tenant": "sys", "template": "standard", "tier": "platinum"})
		expect(t, r, http.StatusUnprocessableEntity, who+" claiming kube-system")
		prob := fullProblem(t, r)
		for _, raw := range []string{"admission webhook", "denied the request", "[", "Not found:", "Forbidden:"} {
			if strings.Contains(prob.Detail, raw) {
				t.Errorf("%s: detail %q carries %q", who, prob.Detail, raw)
			}
		}
		rules := map[string]string{}
		for _, e := range prob.Errors {
			rules[e.Field] = e.Rule
		}
		if rules["name"] != "namespaceExists" || rules["tier"] != "notFound" {
			t.Errorf("%s: errors %+v, want name/namespaceExists and tier/notFound", who, prob.Errors)
		}
	}
	if env.ClaimExists(t, "kube-system") {
		t.Error("a claim kube-system was made")
	}
}
