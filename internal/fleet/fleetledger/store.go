// Package fleetledger keeps the placements in flight (fleet.Reservations) in one ConfigMap, naas-placement, of
// naas's system namespace, through the compare-and-swap store of internal/ledger. The claim controller decides
// every placement inside a change of it: decisions made at once, by several workers (or, during a leader change,
// by two replicas), are serialised by the ConfigMap's resourceVersion, and a burst is decided in batches, one
// write each (group commit). The document holds only what the cache has not seen yet, so it stays small.
package fleetledger

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/fleet"
	"github.com/naas-dev/naas/internal/ledger"
)

const (
	// Name of the ConfigMap.
	Name = "naas-placement"
	// DataKey holds the reservations, as JSON.
	DataKey = "reservations.json"
)

// Store reads and changes the placements in flight.
type Store struct {
	s *ledger.Store[fleet.Reservations]
}

// NewStore returns the store in namespace; c must read from the API server, not a cache.
func NewStore(c client.Client, namespace string) *Store {
	return &Store{s: ledger.New(c, namespace, ledger.Options[fleet.Reservations]{
		What:    "placement ledger",
		DataKey: DataKey,
		Labels:  map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue},
		Copy:    (*fleet.Reservations).Copy,
		// A ledger that cannot be read would forget placements in flight, whose claims the cache may not show
		// placed yet: refuse until a platform admin repairs or deletes it.
		ResetCorrupt: false,
		// One object, changed by every placement.
		Remember: true,
	})}
}

// Change runs f on the reservations and stores the result if f says it changed them (see ledger.Store.Change).
func (s *Store) Change(ctx context.Context, f func(*fleet.Reservations) (changed bool, err error)) error {
	return s.s.Change(ctx, ledger.Key{Name: Name}, false, f)
}
