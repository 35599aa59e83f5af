package namespaceclaim

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
)

// neighbours reads what the bundle needs to know of other tenants and namespaces: the tenants the claim's
// collaborators name, and, for a template that turns the mesh on, the namespaces of the claim's tenant and of the
// collaborators let in, which the mesh's AuthorizationPolicy names.
func (r *Reconciler) neighbours(ctx context.Context, s *scope) (map[string]*naasv1alpha1.Tenant, map[string][]string, error) {
	c := s.claim
	var collaborators map[string]*naasv1alpha1.Tenant
	peers := sets.New[string]()
	if s.template.Spec.Features.Mesh {
		peers.Insert(c.Spec.Tenant)
	}
	for _, col := range c.Spec.Collaborators {
		t, err := getOrNil(ctx, r.Client, col.Tenant, &naasv1alpha1.Tenant{})
		if err != nil {
			return nil, nil, err
		}
		if t != nil {
			if collaborators == nil {
				collaborators = map[string]*naasv1alpha1.Tenant{}
			}
			collaborators[col.Tenant] = t
		}
		if col.AllowIngress && s.template.Spec.Features.Mesh {
			peers.Insert(col.Tenant)
		}
	}
	if peers.Len() == 0 {
		return collaborators, nil, nil
	}
	namespaces := map[string][]string{}
	for _, tenant := range sets.List(peers) {
		claims := &naasv1alpha1.NamespaceClaimList{}
		// Only names are read: the cache's objects are not copied.
		if err := r.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: tenant}, client.UnsafeDisableDeepCopy); err != nil {
			return nil, nil, fmt.Errorf("list the namespaces of tenant %s: %w", tenant, err)
		}
		for _, other := range claims.Items {
			namespaces[tenant] = append(namespaces[tenant], other.Name)
		}
		slices.Sort(namespaces[tenant])
	}
	return collaborators, namespaces, nil
}
