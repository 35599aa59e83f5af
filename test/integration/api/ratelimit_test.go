package api

import (
	"net/http"
	"strconv"
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
