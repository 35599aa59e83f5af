package ratelimit

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
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
	secs := RetryAfterSeconds(retryAfter)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	httpx.WriteProblem(w, httpx.NewProblem(r, http.StatusTooManyRequests,
		fmt.Sprintf("too many requests; retry in %d seconds", secs)))
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
