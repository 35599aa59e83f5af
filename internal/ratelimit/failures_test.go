package ratelimit

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestFailures_BlockAfterBurstRefillAndForgetIdleKeys(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f, err := NewFailures(FailureConfig{Rate: rate.Every(time.Second), Burst: 2, IdleTimeout: time.Minute}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	f.Fail("a")
	if blocked, _ := f.Blocked("a"); blocked {
		t.Fatal("blocked after 1 of 2 failures")
	}
	f.Fail("a")
	blocked, wait := f.Blocked("a")
	if !blocked || wait <= 0 || wait > time.Second {
		t.Fatalf("after 2 failures: blocked %v, wait %s; want blocked for at most 1s", blocked, wait)
	}
	if blocked, _ := f.Blocked("b"); blocked {
		t.Error("another key is blocked")
	}
	now = now.Add(time.Second)
	if blocked, _ := f.Blocked("a"); blocked {
		t.Error("still blocked after the refill")
	}
	// Idle and full again after the idle timeout: the next failure of another key sweeps it away.
	now = now.Add(2 * time.Minute)
	f.Fail("b")
	if n := f.Len(); n != 1 {
		t.Errorf("keys held = %d, want 1 (a forgotten)", n)
	}
}

func TestFailures_MemoryIsBoundedByMaxKeys(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f, err := NewFailures(FailureConfig{Rate: rate.Every(time.Hour), Burst: 1, MaxKeys: 3}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		f.Fail(k)
	}
	if n := f.Len(); n > 4 {
		t.Errorf("keys held = %d, want at most 3 and the shared overflow bucket", n)
	}
	// The keys past the bound share one bucket: it is spent, so they are blocked together.
	if blocked, _ := f.Blocked("g"); !blocked {
		t.Error("a new key past the bound is not limited by the shared bucket")
	}
}

func TestClientAddress_ForwardedForOnlyFromTrustedProxies(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote, xff string
		trusted           []netip.Prefix
		want              string
	}{
		{"direct client", "192.0.2.1:1234", "", nil, "192.0.2.1"},
		{"forged header, no proxy trusted", "192.0.2.1:1234", "203.0.113.9", nil, "192.0.2.1"},
		{"forged header from an untrusted address", "192.0.2.1:1234", "203.0.113.9", proxies, "192.0.2.1"},
		{"through a trusted proxy", "10.1.2.3:80", "203.0.113.9", proxies, "203.0.113.9"},
		{"a client's own header before the proxy's", "10.1.2.3:80", "198.51.100.1, 203.0.113.9, 10.9.9.9", proxies, "203.0.113.9"},
		{"IPv6 by its /64", "[2001:db8:1:2:3:4:5:6]:443", "", nil, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6", "[::ffff:192.0.2.1]:1", "", nil, "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := ClientAddress(r, tt.trusted); got != tt.want {
				t.Errorf("ClientAddress = %q, want %q", got, tt.want)
			}
		})
	}
}
