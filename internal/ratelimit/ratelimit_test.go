package ratelimit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/naas-dev/naas/internal/httpx"
)

// clock is a fake clock that tests advance by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newLimiter(t *testing.T, cfg Config, c *clock) *Limiter {
	t.Helper()
	l, err := New(cfg, WithClock(c.Now))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l
}

// allowN calls Allow n times and returns how many were allowed and the last retry-after.
func allowN(l *Limiter, user, tenant string, n int) (allowed int, retryAfter time.Duration) {
	for range n {
		ok, ra := l.Allow(user, tenant)
		if ok {
			allowed++
		} else {
			retryAfter = ra
		}
	}
	return allowed, retryAfter
}

func TestAllow_BurstAboveUserLimitIsRefusedWithRetryAfter(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 2, UserBurst: 5}, c)

	allowed, retryAfter := allowN(l, "alice", "pay", 8)
	if allowed != 5 {
		t.Errorf("allowed %d of a burst of 8, want the burst of 5", allowed)
	}
	// At 2 per second the next token comes in half a second.
	if retryAfter != 500*time.Millisecond {
		t.Errorf("retryAfter = %s, want 500ms", retryAfter)
	}
}

func TestAllow_OtherUsersAreUnaffected(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 1, UserBurst: 3}, c)
	allowN(l, "alice", "pay", 10)
	if allowed, _ := allowN(l, "bob", "pay", 3); allowed != 3 {
		t.Errorf("bob allowed %d of 3 after alice exhausted her bucket, want 3", allowed)
	}
}

func TestAllow_TenantBucketIsSharedByItsUsers(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 100, UserBurst: 100, PerTenant: 1, TenantBurst: 4}, c)
	a, _ := allowN(l, "alice", "pay", 3)
	b, retryAfter := allowN(l, "bob", "pay", 3)
	if a+b != 4 {
		t.Errorf("alice and bob of tenant pay allowed %d+%d, want 4 together", a, b)
	}
	if retryAfter != time.Second {
		t.Errorf("retryAfter = %s, want 1s", retryAfter)
	}
	if allowed, _ := allowN(l, "carol", "shop", 4); allowed != 4 {
		t.Errorf("carol of another tenant allowed %d of 4, want 4", allowed)
	}
}

func TestAllow_RefusalSpendsNothing(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 1, UserBurst: 2, PerTenant: 1, TenantBurst: 1}, c)
	if ok, _ := l.Allow("alice", "pay"); !ok {
		t.Fatal("first request refused")
	}
	// The tenant is empty now; alice's refused requests must not drain her own bucket.
	allowN(l, "alice", "pay", 5)
	if ok, _ := l.Allow("alice", ""); !ok {
		t.Error("alice's own bucket was drained by requests the tenant bucket refused")
	}
}

func TestAllow_BucketsRefillOverTime(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 2, UserBurst: 4}, c)
	allowN(l, "alice", "", 4)
	if ok, _ := l.Allow("alice", ""); ok {
		t.Fatal("allowed beyond the burst")
	}
	c.Advance(500 * time.Millisecond)
	if allowed, _ := allowN(l, "alice", "", 2); allowed != 1 {
		t.Errorf("after 500ms at 2/s allowed %d, want 1", allowed)
	}
	c.Advance(time.Hour)
	if allowed, _ := allowN(l, "alice", "", 10); allowed != 4 {
		t.Errorf("after an hour allowed %d, want a full burst of 4 and no more", allowed)
	}
}

func TestAllow_ZeroLimitMeansUnlimited(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{}, c)
	if allowed, _ := allowN(l, "alice", "pay", 1000); allowed != 1000 {
		t.Errorf("allowed %d of 1000 with no limits configured", allowed)
	}
	if n := l.users.len() + l.tenants.len(); n != 0 {
		t.Errorf("kept %d buckets with no limits configured, want 0", n)
	}
}

func TestAllow_IdleFullBucketsAreEvicted(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 10, UserBurst: 10, PerTenant: 10, TenantBurst: 10, IdleTimeout: time.Minute}, c)
	for i := range 100 {
		l.Allow(fmt.Sprintf("user-%d", i), fmt.Sprintf("tenant-%d", i%10))
	}
	if got := l.users.len(); got != 100 {
		t.Fatalf("user buckets = %d, want 100", got)
	}
	c.Advance(2 * time.Minute)
	l.Allow("newcomer", "tenant-new")
	if got, want := l.users.len(), 1; got != want {
		t.Errorf("user buckets after the idle timeout = %d, want %d (only the newcomer)", got, want)
	}
	if got, want := l.tenants.len(), 1; got != want {
		t.Errorf("tenant buckets after the idle timeout = %d, want %d", got, want)
	}
}

func TestAllow_EvictionDoesNotResetALimitedUser(t *testing.T) {
	c := newClock()
	// One request an hour: an idle timeout of a minute passes long before the bucket refills.
	l := newLimiter(t, Config{PerUser: rate.Every(time.Hour), UserBurst: 1, IdleTimeout: time.Minute}, c)
	if ok, _ := l.Allow("alice", ""); !ok {
		t.Fatal("first request refused")
	}
	c.Advance(10 * time.Minute)
	l.Allow("bob", "") // Triggers a sweep.
	if ok, retryAfter := l.Allow("alice", ""); ok || retryAfter < 49*time.Minute {
		t.Errorf("Allow(alice) = %v, %s; want refused for about 50 more minutes", ok, retryAfter)
	}
}

func TestNew_RejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"negative rate":            {PerUser: -1, UserBurst: 1},
		"user limit without burst": {PerUser: 1},
		"tenant limit no burst":    {PerTenant: 1},
		"negative idle timeout":    {IdleTimeout: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	if _, err := New(DefaultConfig()); err != nil {
		t.Errorf("New(DefaultConfig()): %v", err)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want int64
	}{
		{0, 1}, {time.Nanosecond, 1}, {500 * time.Millisecond, 1}, {time.Second, 1},
		{time.Second + time.Nanosecond, 2}, {2500 * time.Millisecond, 3}, {time.Minute, 60},
		{rate.InfDuration, int64(rate.InfDuration / time.Second)},
	} {
		if got := RetryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("RetryAfterSeconds(%s) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestMiddleware_Answers429WithRetryAfterAndProblem(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 0.4, UserBurst: 1}, c)
	h := l.Middleware(func(r *http.Request) (string, string) { return r.Header.Get("X-User"), "" },
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	do := func(user string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/namespaces", nil)
		r.Header.Set("X-User", user)
		r = r.WithContext(httpx.WithRequestID(r.Context(), "req-9"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}

	if rec := do("alice"); rec.Code != http.StatusNoContent {
		t.Fatalf("first request: status %d, want 204", rec.Code)
	}
	rec := do("alice")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("second request: status %d, want 429", rec.Code)
	}
	// 0.4/s: the next token in 2.5s, rounded up to 3.
	if got := rec.Header().Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q, want \"3\"", got)
	}
	if got := rec.Header().Get("Content-Type"); got != httpx.ProblemContentType {
		t.Errorf("Content-Type = %q, want %q", got, httpx.ProblemContentType)
	}
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body is not a problem document: %v", err)
	}
	if p.Status != http.StatusTooManyRequests || p.RequestID != "req-9" || p.Detail == "" {
		t.Errorf("problem = %+v, want status 429, request id req-9 and a detail", p)
	}
	if rec := do("bob"); rec.Code != http.StatusNoContent {
		t.Errorf("another user: status %d, want 204", rec.Code)
	}
	c.Advance(3 * time.Second)
	if rec := do("alice"); rec.Code != http.StatusNoContent {
		t.Errorf("after Retry-After: status %d, want 204", rec.Code)
	}
}
