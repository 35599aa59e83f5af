package namespaceclaim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
)

// Default lifetimes of ServedKinds answers.
const (
	// DefaultServedTTL bounds how long a served kind is trusted without a CRD event: long, because kinds rarely
	// disappear and a CRD deletion invalidates the answer at once.
	DefaultServedTTL = 10 * time.Minute
	// DefaultNotServedTTL bounds how long a missing kind is trusted: short, because discovery may lag the
	// events of a CRD that was just created, and a stale "missing" would leave a step not applicable.
	DefaultNotServedTTL = 2 * time.Second
)

// ServedKinds tells which API kinds a cluster serves, from its discovery API. Answers are cached per group
// version and shared by every reconcile, so however many claims require a kind, discovery is asked about it at
// most once per TTL, not once per claim. CRD events invalidate the groups they touch (Invalidate).
type ServedKinds struct {
	discovery    discovery.DiscoveryInterface
	servedTTL    time.Duration
	notServedTTL time.Duration
	now          func() time.Time

	mu     sync.Mutex
	cache  map[schema.GroupVersion]groupVersionKinds
	groups sets.Set[string] // every group asked about
}

// groupVersionKinds is what discovery said about one group version.
type groupVersionKinds struct {
	kinds sets.Set[string] // nil when the group version is not served at all
	at    time.Time
}

// NewServedKinds answers from d, with the default TTLs and the wall clock.
func NewServedKinds(d discovery.DiscoveryInterface) *ServedKinds {
	return NewServedKindsWithTTL(d, DefaultServedTTL, DefaultNotServedTTL, time.Now)
}

// NewServedKindsWithTTL answers from d, trusting a served kind for servedTTL and a missing one for
// notServedTTL, by the clock now.
func NewServedKindsWithTTL(d discovery.DiscoveryInterface, servedTTL, notServedTTL time.Duration, now func() time.Time) *ServedKinds {
	return &ServedKinds{
		discovery: d, servedTTL: servedTTL, notServedTTL: notServedTTL, now: now,
		cache: map[schema.GroupVersion]groupVersionKinds{}, groups: sets.New[string](),
	}
}

// Missing returns the kinds, in order, that the cluster does not serve.
func (s *ServedKinds) Missing(_ context.Context, kinds []schema.GroupVersionKind) ([]schema.GroupVersionKind, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []schema.GroupVersionKind
	for _, gvk := range kinds {
		served, err := s.servedLocked(gvk)
		if err != nil {
			return nil, err
		}
		if !served.Has(gvk.Kind) {
			missing = append(missing, gvk)
		}
	}
	return missing, nil
}

// servedLocked returns the kinds of gvk's group version, from the cache while fresh. An answer without gvk's kind
// is fresh for the short TTL only, whether the group version is not served at all or is served without that kind
// yet (CRDs of one group version become established one by one). The lock is held across the discovery call so
// that concurrent reconciles asking the same question wait for one answer.
func (s *ServedKinds) servedLocked(gvk schema.GroupVersionKind) (sets.Set[string], error) {
	gv := gvk.GroupVersion()
	s.groups.Insert(gv.Group)
	now := s.now()
	if c, ok := s.cache[gv]; ok {
		ttl := s.servedTTL
		if !c.kinds.Has(gvk.Kind) {
			ttl = s.notServedTTL
		}
		if now.Sub(c.at) < ttl {
			return c.kinds, nil
		}
	}
	list, err := s.discovery.ServerResourcesForGroupVersion(gv.String())
	var kinds sets.Set[string]
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("ask the API server's discovery for %s: %w", gv, err)
	default:
		kinds = sets.New[string]()
		for _, r := range list.APIResources {
			if !strings.Contains(r.Name, "/") { // subresources carry their parent's kind
				kinds.Insert(r.Kind)
			}
		}
	}
	s.cache[gv] = groupVersionKinds{kinds: kinds, at: now}
	return kinds, nil
}

// Asked reports whether a kind of the API group was ever asked about: only changes to such groups can change
// a step's applicability.
func (s *ServedKinds) Asked(group string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groups.Has(group)
}

// Invalidate forgets the answers about every version of the API group, so the next question asks discovery.
func (s *ServedKinds) Invalidate(group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for gv := range s.cache {
		if gv.Group == group {
			delete(s.cache, gv)
		}
	}
}

// formatKinds names kinds the way users know them: "PrometheusRule (monitoring.coreos.com/v1)".
func formatKinds(kinds []schema.GroupVersionKind) string {
	names := make([]string, 0, len(kinds))
	for _, k := range kinds {
		names = append(names, fmt.Sprintf("%s (%s)", k.Kind, k.GroupVersion()))
	}
	return strings.Join(names, ", ")
}
