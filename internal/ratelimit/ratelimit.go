package ratelimit

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config sets the limits. A limit of zero turns that kind of limiting off; rate.Inf does too.
type Config struct {
	// PerUser is the sustained request rate of one user, in requests per second.
	PerUser rate.Limit
	// UserBurst is how many requests one user may make at once after being idle.
	UserBurst int
	// PerTenant is the sustained request rate of all users of one tenant together.
	PerTenant rate.Limit
	// TenantBurst is how many requests a tenant's users may make at once after being idle.
	TenantBurst int
	// IdleTimeout is how long a bucket is kept after its last use (longer if it has not refilled by then).
	// Default DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// DefaultIdleTimeout is the default Config.IdleTimeout.
const DefaultIdleTimeout = 10 * time.Minute

// DefaultConfig returns limits generous enough for people and scripts, tight enough to stop a runaway loop.
func DefaultConfig() Config {
	return Config{PerUser: 10, UserBurst: 40, PerTenant: 50, TenantBurst: 200, IdleTimeout: DefaultIdleTimeout}
}

func (c Config) validate() error {
	if c.PerUser < 0 || c.PerTenant < 0 {
		return fmt.Errorf("rate limits must not be negative (per user %v, per tenant %v)", c.PerUser, c.PerTenant)
	}
	if c.PerUser > 0 && c.PerUser != rate.Inf && c.UserBurst < 1 {
		return fmt.Errorf("the user burst must be at least 1 when users are limited, got %d", c.UserBurst)
	}
	if c.PerTenant > 0 && c.PerTenant != rate.Inf && c.TenantBurst < 1 {
		return fmt.Errorf("the tenant burst must be at least 1 when tenants are limited, got %d", c.TenantBurst)
	}
	if c.IdleTimeout < 0 {
		return fmt.Errorf("the idle timeout must not be negative, got %s", c.IdleTimeout)
	}
	return nil
}

// Limiter holds the token buckets of users and tenants. It is safe for concurrent use.
type Limiter struct {
	users   *buckets
	tenants *buckets
	now     func() time.Time
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock sets the clock the buckets refill by. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(l *Limiter) { l.now = now }
}

// New returns a Limiter with the limits of cfg.
func New(cfg Config, opts ...Option) (*Limiter, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("invalid rate limit configuration: %w", err)
	}
	idle := cfg.IdleTimeout
	if idle == 0 {
		idle = DefaultIdleTimeout
	}
	l := &Limiter{
		users:   newBuckets(cfg.PerUser, cfg.UserBurst, idle),
		tenants: newBuckets(cfg.PerTenant, cfg.TenantBurst, idle),
		now:     time.Now,
	}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

// Allow spends one token of user's bucket and one of tenant's, and reports whether the request may proceed.
// When it may not, nothing is spent and retryAfter is how long until both buckets would allow it. An empty
// user or tenant is not limited: a request outside any tenant spends only from the user's bucket.
func (l *Limiter) Allow(user, tenant string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	ru := l.users.reserve(user, now)
	rt := l.tenants.reserve(tenant, now)
	wait := max(ru.delay(now), rt.delay(now))
	if wait == 0 {
		return true, 0
	}
	// Give back what was taken, so that a refused request does not push the caller's next chance further out.
	ru.cancel(now)
	rt.cancel(now)
	return false, wait
}

// reservation is a token taken from a bucket, or none when the key is not limited.
type reservation struct {
	r *rate.Reservation
}

// delay is how long the reservation must wait; an impossible one (more than the burst) waits forever.
func (r reservation) delay(now time.Time) time.Duration {
	switch {
	case r.r == nil:
		return 0
	case !r.r.OK():
		return rate.InfDuration
	default:
		return r.r.DelayFrom(now)
	}
}

func (r reservation) cancel(now time.Time) {
	if r.r != nil {
		r.r.CancelAt(now)
	}
}

// buckets are the token buckets of one kind of key (users or tenants).
type buckets struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	// maxKeys bounds the buckets held (see take); zero is no bound.
	maxKeys int

	mu        sync.Mutex
	byKey     map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	limiter  *rate.Limiter
	lastUsed time.Time
}

func newBuckets(limit rate.Limit, burst int, idle time.Duration) *buckets {
	return &buckets{limit: limit, burst: burst, idle: idle, byKey: map[string]*bucket{}}
}

// reserve takes a token from key's bucket, creating the bucket (full) if needed.
func (b *buckets) reserve(key string, now time.Time) reservation {
	if key == "" || b.limit == 0 || b.limit == rate.Inf {
		return reservation{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep(now)
	bk, ok := b.byKey[key]
	if !ok {
		bk = &bucket{limiter: rate.NewLimiter(b.limit, b.burst)}
		b.byKey[key] = bk
	}
	bk.lastUsed = now
	return reservation{r: bk.limiter.ReserveN(now, 1)}
}

// sweep drops the buckets unused for the idle timeout, at most once per idle timeout so that the cost is spread
// over many calls. Only full buckets are dropped: a new bucket starts full, so dropping one that is not yet full
// would hand its user tokens it has not earned.
func (b *buckets) sweep(now time.Time) {
	if now.Sub(b.lastSweep) < b.idle {
		return
	}
	b.lastSweep = now
	for key, bk := range b.byKey {
		if now.Sub(bk.lastUsed) >= b.idle && bk.limiter.TokensAt(now) >= float64(b.burst) {
			delete(b.byKey, key)
		}
	}
}

// len returns the number of buckets held.
func (b *buckets) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byKey)
}
