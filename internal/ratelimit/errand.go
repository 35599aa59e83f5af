package ratelimit

import (
	"context"
	"sync"
	"time"
)

// errand is one outside request served by several in-process requests, such as a portal page built from a
// handful of API calls: each user and tenant it acts for is charged once, by the first call that names them.
type errand struct {
	mu      sync.Mutex
	users   map[string]bool
	tenants map[string]bool
}

type errandKey struct{}

// WithErrand returns ctx marked as one outside request: requests made in process with it (or a context derived
// from it) and checked with AllowContext share one token per user and per tenant. Only code in the process can
// set it, so a client cannot use it to escape its limits; a page that makes ten API calls costs its user what
// one call to the API costs.
func WithErrand(ctx context.Context) context.Context {
	return context.WithValue(ctx, errandKey{}, &errand{users: map[string]bool{}, tenants: map[string]bool{}})
}

// AllowContext is Allow for a request made with ctx: when ctx carries an errand (WithErrand), a user or tenant
// the errand has already been charged for is not charged again.
func (l *Limiter) AllowContext(ctx context.Context, user, tenant string) (ok bool, retryAfter time.Duration) {
	e, _ := ctx.Value(errandKey{}).(*errand)
	if e == nil {
		return l.Allow(user, tenant)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	u, t := user, tenant
	if e.users[u] {
		u = ""
	}
	if e.tenants[t] {
		t = ""
	}
	if ok, retryAfter = l.Allow(u, t); !ok {
		return false, retryAfter
	}
	if u != "" {
		e.users[u] = true
	}
	if t != "" {
		e.tenants[t] = true
	}
	return true, 0
}
