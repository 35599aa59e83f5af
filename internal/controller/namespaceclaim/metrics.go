package namespaceclaim

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Metrics are the provisioning metrics, with the names of the platform's SLOs.
type Metrics struct {
	// Provisions counts provisioning outcomes by status (success, failure).
	Provisions *prometheus.CounterVec
	// Duration observes the time from naas's first sighting of a claim (or its approval) to its first Ready.
	Duration prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Provisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "platform_namespace_provisions_total",
			Help: "Namespace provisioning outcomes, by status (success or failure).",
		}, []string{"status"}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "platform_namespace_provision_duration_seconds",
			Help:    "Time from naas's first sighting of a namespace claim (or its approval, if it needed one) until it is first Ready.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300},
		}),
	}
	reg.MustRegister(m.Provisions, m.Duration)
	return m
}

// maxTrackedClaims bounds the claims whose first sighting naas remembers: claims not yet provisioned, so few
// at any time; past the bound (a bulk import), a claim's provisioning time is measured from its creation
// timestamp instead.
const maxTrackedClaims = 10000

// lateSighting is how long after a claim's creation timestamp naas may first see it and still measure from
// that sighting: longer means naas was down or busy when the claim was made, and the creation timestamp (whole
// seconds) is the truer start.
const lateSighting = 2 * time.Second

// firstSeen remembers when naas first saw each claim that is not yet provisioned, by the reconciler's clock:
// with time.Now a monotonic reading, so provisioning times are measured to the nanosecond and immune to wall
// clock steps, where the claim's timestamps are whole seconds. It is safe for concurrent use; the zero value
// is ready.
type firstSeen struct {
	mu sync.Mutex
	at map[string]sighting
}

type sighting struct {
	uid types.UID
	at  time.Time
}

// note records now as the first sighting of the claim name with uid, unless one is recorded already.
func (f *firstSeen) note(name string, uid types.UID, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.at[name]; ok && s.uid == uid {
		return
	}
	if f.at == nil {
		f.at = map[string]sighting{}
	}
	if len(f.at) >= maxTrackedClaims {
		return
	}
	f.at[name] = sighting{uid: uid, at: now}
}

// take returns and forgets the first sighting of the claim name with uid.
func (f *firstSeen) take(name string, uid types.UID) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.at[name]
	if !ok {
		return time.Time{}, false
	}
	delete(f.at, name)
	return s.at, s.uid == uid
}

// forget forgets the claim name, deleted or gone.
func (f *firstSeen) forget(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.at, name)
}

// len is the number of claims remembered.
func (f *firstSeen) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.at)
}

// provisionDuration is how long the claim c took to provision, ready at readyAt, having been first seen at
// seen (ok false if it was not). It runs from naas's first sighting of the claim, or from the claim's creation
// if naas saw it late, or from its approval if it waited for one: time spent waiting for a person is not
// provisioning time.
func provisionDuration(c *naasv1alpha1.NamespaceClaim, seen time.Time, ok bool, readyAt time.Time) time.Duration {
	start := seen
	created := c.CreationTimestamp.Time
	if !ok || seen.Sub(created) > lateSighting {
		start = created
	}
	if a := c.Status.Approval; a != nil && a.At != nil && a.At.After(start) {
		start = a.At.Time
	}
	return max(readyAt.Sub(start), 0)
}
