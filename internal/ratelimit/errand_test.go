package ratelimit

import (
	"context"
	"testing"
)

func TestAllowContext_AnErrandIsChargedOncePerUserAndTenant(t *testing.T) {
	tests := []struct {
		name string
		// calls are the (user, tenant) of the in-process requests of one errand.
		calls [][2]string
		// wantUser and wantTenant are the tokens left in bob's and shop's buckets afterwards (burst 3 each).
		wantUser, wantTenant int
	}{
		{name: "one call", calls: [][2]string{{"bob", "shop"}}, wantUser: 2, wantTenant: 2},
		{name: "a page of many calls", calls: [][2]string{{"bob", ""}, {"bob", "shop"}, {"bob", ""}, {"", "shop"}, {"bob", "shop"}}, wantUser: 2, wantTenant: 2},
		{name: "calls outside any tenant", calls: [][2]string{{"bob", ""}, {"bob", ""}}, wantUser: 2, wantTenant: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			l := newLimiter(t, Config{PerUser: 1, UserBurst: 3, PerTenant: 1, TenantBurst: 3}, c)
			ctx := WithErrand(context.Background())
			for _, call := range tt.calls {
				if ok, _ := l.AllowContext(ctx, call[0], call[1]); !ok {
					t.Fatalf("call %v refused", call)
				}
			}
			if got := int(l.users.byKey["bob"].limiter.TokensAt(c.Now())); got != tt.wantUser {
				t.Errorf("bob's tokens = %d, want %d", got, tt.wantUser)
			}
			got := 3
			if b, ok := l.tenants.byKey["shop"]; ok {
				got = int(b.limiter.TokensAt(c.Now()))
			}
			if got != tt.wantTenant {
				t.Errorf("shop's tokens = %d, want %d", got, tt.wantTenant)
			}
		})
	}
}

func TestAllowContext_ErrandsAreStillLimited(t *testing.T) {
	c := newClock()
	l := newLimiter(t, Config{PerUser: 1, UserBurst: 2}, c)
	for i := range 2 {
		if ok, _ := l.AllowContext(WithErrand(context.Background()), "bob", ""); !ok {
			t.Fatalf("errand %d refused within the burst", i)
		}
	}
	ctx := WithErrand(context.Background())
	ok, retryAfter := l.AllowContext(ctx, "bob", "")
	if ok || retryAfter <= 0 {
		t.Fatalf("third errand: ok=%v retryAfter=%v, want a refusal with a wait", ok, retryAfter)
	}
	// A refused errand was not charged, so its next call is charged (and refused) again rather than let through.
	if ok, _ := l.AllowContext(ctx, "bob", ""); ok {
		t.Error("a refused errand's next call went through uncharged")
	}
	// Without an errand every call is charged.
	c.Advance(2e9)
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.AllowContext(context.Background(), "bob", ""); ok != want {
			t.Errorf("plain call %d: ok = %v, want %v", i, ok, want)
		}
	}
}
