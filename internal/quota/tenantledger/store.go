// Package tenantledger keeps each tenant's admission ledger (quota.Ledger: its admitted namespace claims and
// tenant-quota charges) in a ConfigMap naas-ledger-<tenant> of naas's system namespace, through the
// compare-and-swap store of internal/ledger, and counts a tenant's usage from the API server to settle it. One
// object per tenant: admissions of different tenants never wait on each other.
package tenantledger

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/ledger"
	"github.com/naas-dev/naas/internal/quota"
)

const (
	// NamePrefix starts the name of every tenant ledger ConfigMap: naas-ledger-<tenant>.
	NamePrefix = "naas-ledger-"
	// DataKey holds the ledger, as JSON, in the ConfigMap.
	DataKey = "ledger.json"
)

// Name is the name of the ConfigMap of a tenant's ledger.
func Name(tenant string) string { return NamePrefix + tenant }

// Store reads and changes tenants' ledgers.
type Store struct {
	s *ledger.Store[quota.Ledger]
}

// NewStore returns a store for the ledgers in namespace; c must read from the API server, not a cache.
func NewStore(c client.Client, namespace string) *Store {
	return &Store{s: ledger.New(c, namespace, ledger.Options[quota.Ledger]{
		What:    "tenant ledger",
		DataKey: DataKey,
		Labels:  map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue},
		Copy:    (*quota.Ledger).DeepCopy,
		// A ledger that cannot be read is started afresh: the next count rebuilds usage, and claim
		// reservations only cover the last minute.
		ResetCorrupt: true,
		// One object per tenant, changed on every admission of the tenant.
		Remember: true,
	})}
}

// Change runs f on the tenant's current ledger and stores the result if f says it changed it (see
// ledger.Store.Change).
func (s *Store) Change(ctx context.Context, tenant *naasv1alpha1.Tenant, dryRun bool, f func(l *quota.Ledger) (changed bool, err error)) error {
	return s.s.Change(ctx, ledger.Key{
		Name:   Name(tenant.Name),
		Labels: map[string]string{naasv1alpha1.LabelTenant: tenant.Name},
		// The ledger goes with its tenant.
		Owner: &metav1.OwnerReference{
			APIVersion: naasv1alpha1.GroupVersion.String(), Kind: "Tenant", Name: tenant.Name, UID: tenant.UID,
		},
	}, dryRun, f)
}

// Read returns the tenant's ledger (an empty one if there is none yet).
func (s *Store) Read(ctx context.Context, tenant string) (*quota.Ledger, error) {
	return s.s.Read(ctx, Name(tenant))
}

// Forget drops what the store remembers of a tenant (after the tenant is deleted).
func (s *Store) Forget(tenant string) { s.s.Forget(Name(tenant)) }
