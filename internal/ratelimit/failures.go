package ratelimit

import (
	"fmt"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// FailureConfig sets how many failed attempts (authentications with a bad token) one key, a client address,
// may make. Only failures spend; a key that has spent them all is refused until one has refilled, whatever it
// sends, so that guessing tokens costs the guesser time and nobody else anything.
type FailureConfig struct {
	// Rate is how fast spent failures come back, per second. Zero turns the limit off.
	Rate rate.Limit
	// Burst is how many failures a key may make in a row after being quiet.
	Burst int
	// IdleTimeout is how long a key's bucket is kept after its last failure (longer if it has not refilled by
	// then). Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxKeys bounds the number of keys held. Once that many are held and none has been idle long enough to be
	// dropped, new keys share one bucket, so that an attacker with many addresses exhausts that one bucket
	// rather than the server's memory. Default DefaultMaxFailureKeys.
	MaxKeys int
}

// DefaultMaxFailureKeys is the default FailureConfig.MaxKeys: about 10 MiB of buckets at most.
const DefaultMaxFailureKeys = 100_000

// DefaultFailureConfig allows 20 failed authentications in a row per address, then one every 6 seconds: enough
// for a person mistyping or a script with an expired token, far too few to guess a token.
func DefaultFailureConfig() FailureConfig {
	return FailureConfig{Rate: rate.Every(6 * time.Second), Burst: 20, IdleTimeout: DefaultIdleTimeout, MaxKeys: DefaultMaxFailureKeys}
}

// Failures counts failed attempts per key. It is safe for concurrent use.
type Failures struct {
	b   *buckets
	now func() time.Time
}

// overflowKey is the bucket the keys share once MaxKeys are held; no client address has this form.
const overflowKey = "\x00overflow"

// NewFailures returns a Failures with the limits of cfg, refilling by the clock now (time.Now when nil).
func NewFailures(cfg FailureConfig, now func() time.Time) (*Failures, error) {
	switch {
	case cfg.Rate < 0:
		return nil, fmt.Errorf("invalid failure limit: the rate must not be negative, got %v", cfg.Rate)
	case cfg.Rate > 0 && cfg.Rate != rate.Inf && cfg.Burst < 1:
		return nil, fmt.Errorf("invalid failure limit: the burst must be at least 1, got %d", cfg.Burst)
	case cfg.IdleTimeout < 0 || cfg.MaxKeys < 0:
		return nil, fmt.Errorf("invalid failure limit: the idle timeout and key bound must not be negative")
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxFailureKeys
	}
	if now == nil {
		now = time.Now
	}
	b := newBuckets(cfg.Rate, cfg.Burst, cfg.IdleTimeout)
	b.maxKeys = cfg.MaxKeys
	return &Failures{b: b, now: now}, nil
}

// Blocked reports whether key has no failure left to spend, and if so how long until it has one. It spends
// nothing: a request from a blocked key is refused before its credentials are even looked at.
func (f *Failures) Blocked(key string) (bool, time.Duration) {
	if f == nil {
		return false, 0
	}
	d := f.b.wait(key, f.now())
	return d > 0, d
}

// Fail spends one failure of key.
func (f *Failures) Fail(key string) {
	if f == nil {
		return
	}
	f.b.take(key, f.now())
}

// Len returns the number of keys held.
func (f *Failures) Len() int { return f.b.len() }

// wait is how long until key's bucket holds a whole token; zero for a key without a bucket (a full one).
func (b *buckets) wait(key string, now time.Time) time.Duration {
	if b.limit == 0 || b.limit == rate.Inf {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	bk, ok := b.byKey[key]
	if !ok {
		if len(b.byKey) < b.maxKeys || b.maxKeys == 0 {
			return 0
		}
		if bk, ok = b.byKey[overflowKey]; !ok {
			return 0
		}
	}
	tokens := bk.limiter.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	secs := (1 - tokens) / float64(b.limit)
	if secs > math.MaxInt64/float64(time.Second) {
		return rate.InfDuration
	}
	return time.Duration(secs * float64(time.Second))
}

// take spends a token of key's bucket if it has one, making the bucket (full) if needed. Past maxKeys, after
// a sweep, new keys share the overflow bucket.
func (b *buckets) take(key string, now time.Time) {
	if key == "" || b.limit == 0 || b.limit == rate.Inf {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep(now)
	bk, ok := b.byKey[key]
	if !ok && b.maxKeys > 0 && len(b.byKey) >= b.maxKeys {
		b.lastSweep = time.Time{}
		b.sweep(now)
		if len(b.byKey) >= b.maxKeys {
			key = overflowKey
			bk, ok = b.byKey[key]
		}
	}
	if !ok {
		bk = &bucket{limiter: rate.NewLimiter(b.limit, b.burst)}
		b.byKey[key] = bk
	}
	bk.lastUsed = now
	bk.limiter.AllowN(now, 1)
}
