package ratelimit

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/naas-dev/naas/internal/httpx"
)

// RetryAfterSeconds is the Retry-After value for a wait of d: whole seconds, rounded up, at least 1, so that a
// client that waits that long is allowed.
func RetryAfterSeconds(d time.Duration) int64 {
	if d > math.MaxInt64-time.Second {
		return int64(d / time.Second) // Rounding up would overflow; a second more or less does not matter here.
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// WriteTooManyRequests answers r with 429 Too Many Requests, a Retry-After header for retryAfter, and a problem
// document.
func WriteTooManyRequests(w http.ResponseWriter, r *http.Request, retryAfter time.Duration) {
	WriteRefused(w, r, retryAfter, fmt.Sprintf("too many requests; retry in %d seconds", RetryAfterSeconds(retryAfter)))
}

// WriteRefused answers r with 429 Too Many Requests, a Retry-After header for retryAfter, and a problem
// document of type httpx.ProblemRateLimited whose detail is detail.
func WriteRefused(w http.ResponseWriter, r *http.Request, retryAfter time.Duration, detail string) {
	w.Header().Set("Retry-After", strconv.FormatInt(RetryAfterSeconds(retryAfter), 10))
	p := httpx.NewProblem(r, http.StatusTooManyRequests, detail)
	p.Type = httpx.ProblemRateLimited
	httpx.WriteProblem(w, p)
}

// Middleware limits the requests to next by the user and tenant that keys finds for each request (either may
// be empty, see Allow), answering refused requests with WriteTooManyRequests. Handlers that learn the tenant
// only from the request body can call Allow and WriteTooManyRequests themselves.
func (l *Limiter) Middleware(keys func(r *http.Request) (user, tenant string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, tenant := keys(r)
		if ok, retryAfter := l.Allow(user, tenant); !ok {
			WriteTooManyRequests(w, r, retryAfter)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ClientAddress is the key of r's client for per-address limits: the address the connection comes from, or,
// when that is one of the trusted proxies, the last address of X-Forwarded-For that is not (the one the
// nearest trusted proxy saw). X-Forwarded-For is ignored otherwise: any client can send one. An IPv6 address
// is keyed by its /64, which one client usually holds whole.
func ClientAddress(r *http.Request, trusted []netip.Prefix) string {
	addr := remoteAddr(r.RemoteAddr)
	if addr.IsValid() && len(trusted) > 0 && isTrusted(addr, trusted) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // A malformed hop: trust nothing before it.
			}
			addr = hop.Unmap()
			if !isTrusted(addr, trusted) {
				break
			}
		}
	}
	if !addr.IsValid() {
		return r.RemoteAddr
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func remoteAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
