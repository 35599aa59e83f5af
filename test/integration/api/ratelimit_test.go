package api

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/ratelimit"
	"github.com/naas-dev/naas/internal/setup"
)

// burst makes n requests and counts the answers by status, checking every 429.
func burst(t *testing.T, p *platform, token, path string, n int) map[int]int {
	t.Helper()
	codes := map[int]int{}
	for range n {
		r := p.call(t, token, http.MethodGet, path, nil)
		codes[r.status]++
		if r.status == http.StatusTooManyRequests {
			secs, err := strconv.Atoi(r.header.Get("Retry-After"))
			if err != nil || secs < 1 {
				t.Errorf("429 with Retry-After %q, want whole seconds of at least 1", r.header.Get("Retry-After"))
			}
			r.problem(t)
		}
	}
	return codes
}

func TestAPI_BurstAboveTheRateLimitGets429WhileOthersAreUnaffected(t *testing.T) {
	// Buckets refill once a minute, so that the test's own pace does not matter.
	slow := rate.Every(time.Minute)
	p := startPlatform(t, platformConfig{mutate: func(o *setup.Options) {
		o.API.RateLimit = ratelimit.Config{PerUser: slow, UserBurst: 5, PerTenant: slow, TenantBurst: 8}
	}})
	createTenant(t, "busy", nil, user("carol", naasv1alpha1.RoleDeveloper), user("dave", naasv1alpha1.RoleDeveloper))
	createTenant(t, "calm", nil, user("erin", naasv1alpha1.RoleDeveloper))

	// Per user: alice's burst is cut at 5; bob, right after, is not affected.
	if codes := burst(t, p, as("alice"), "/api/v1/me", 12); codes[http.StatusOK] != 5 || codes[http.StatusTooManyRequests] != 7 {
		t.Errorf("alice's burst of 12: %v, want 5 OK and 7 Too Many Requests", codes)
	}
	if codes := burst(t, p, as("bob"), "/api/v1/me", 5); codes[http.StatusOK] != 5 {
		t.Errorf("bob after alice's burst: %v, want 5 OK", codes)
	}

	// Per tenant: carol and dave share tenant busy's 8 requests, though each has 5 of their own; erin, in
	// another tenant, is not affected.
	carol := burst(t, p, as("carol"), "/api/v1/tenants/busy", 4)
	dave := burst(t, p, as("dave"), "/api/v1/tenants/busy", 4)
	if carol[http.StatusOK]+dave[http.StatusOK] != 8 {
		t.Fatalf("carol %v, dave %v: want 8 OK together", carol, dave)
	}
	if codes := burst(t, p, as("dave"), "/api/v1/tenants/busy", 1); codes[http.StatusTooManyRequests] != 1 {
		t.Errorf("dave within his own limit but over the tenant's: %v, want 429", codes)
	}
	if codes := burst(t, p, as("erin"), "/api/v1/tenants/calm", 3); codes[http.StatusOK] != 3 {
		t.Errorf("erin of tenant calm: %v, want 3 OK", codes)
	}
}

func TestAPI_APortalPageCostsItsUserOneRequest(t *testing.T) {
	slow := rate.Every(time.Minute)
	p := startPlatform(t, platformConfig{mutate: func(o *setup.Options) {
		o.API.RateLimit = ratelimit.Config{PerUser: slow, UserBurst: 3}
	}})
	createTenant(t, "paged", nil, user("erin", naasv1alpha1.RoleDeveloper))
	browser := signInToPortal(t, p, as("erin")) // Lands on the home page: her first request.

	// The home page is built from several API calls (who erin is, her namespaces, their usage): each page costs
	// one of her 3 requests, not one per call.
	for i := range 2 {
		if status, body := getPage(t, browser, p.base+"/"); status != http.StatusOK {
			t.Fatalf("home page %d: %d, want 200:\n%s", i+2, status, body)
		}
	}
	status, body := getPage(t, browser, p.base+"/")
	if status != http.StatusTooManyRequests || !strings.Contains(body, "Too many requests") {
		t.Errorf("home page 4, over erin's 3 requests: %d, want 429 with the reason:\n%s", status, body)
	}
}

// signInToPortal signs in to the portal with token, as a browser does, and returns a client with the session.
func signInToPortal(t *testing.T, p *platform, token string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	_, form := getPage(t, c, p.base+"/signin")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("the sign-in page has no CSRF token:\n%s", form)
	}
	resp, err := c.PostForm(p.base+"/signin", url.Values{"csrf": {html.UnescapeString(m[1])}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.Request.URL.Path == "/signin" {
		t.Fatalf("sign-in failed: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return c
}

func getPage(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
