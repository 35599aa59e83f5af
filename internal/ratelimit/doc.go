// Package ratelimit keeps any one user, and any one tenant, from monopolising the naas API. Each user and each
// tenant has a token bucket (golang.org/x/time/rate); a request spends a token from both, and is refused with
// 429 Too Many Requests and a Retry-After header when either is empty. Buckets idle long enough to have
// refilled are dropped, so memory grows with the callers active recently, not with every caller ever seen.
package ratelimit
