package cacheindex

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/tenancy"
)

// TenantNamingPrefix indexes tenants by their naming prefix (spec.naming.prefix), so that claim admission and the
// REST API find the tenant a name is reserved for with a lookup per leading substring of the name, instead of
// reading every tenant for every claim.
const TenantNamingPrefix = "spec.naming.prefix"

// TenantServiceAccountNamespace indexes tenants by the namespaces of their ServiceAccount owners
// (TenantServiceAccountNamespaces), so that a namespace that appears or goes finds the tenants whose members it
// resolves.
const TenantServiceAccountNamespace = "spec.owners.serviceAccountNamespace"

// maxPrefixLength is the longest naming prefix the Tenant CRD accepts: longer leading substrings of a name need
// no lookup.
const maxPrefixLength = 40

// SetupTenantIndexes registers the tenant field indexes (TenantNamingPrefix, TenantServiceAccountNamespace) with
// the manager's cache (indexer is mgr.GetFieldIndexer()).
func SetupTenantIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &naasv1alpha1.Tenant{}, TenantNamingPrefix, func(o client.Object) []string {
		if p := o.(*naasv1alpha1.Tenant).Spec.Naming.Prefix; p != "" {
			return []string{p}
		}
		return nil
	}); err != nil {
		return err
	}
	return indexer.IndexField(ctx, &naasv1alpha1.Tenant{}, TenantServiceAccountNamespace, func(o client.Object) []string {
		return TenantServiceAccountNamespaces(o.(*naasv1alpha1.Tenant))
	})
}

// TenantServiceAccountNamespaces are the namespaces of the tenant's ServiceAccount owners, each once, in order.
func TenantServiceAccountNamespaces(t *naasv1alpha1.Tenant) []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range t.Spec.Owners {
		if o.Kind == naasv1alpha1.SubjectServiceAccount && o.Namespace != "" && !seen[o.Namespace] {
			seen[o.Namespace] = true
			out = append(out, o.Namespace)
		}
	}
	return out
}

// PrefixesReserving returns the naming prefixes of the tenants that reserve name: those whose prefix name starts
// with (see tenancy.CheckReservedName). c reads the cache with TenantNamingPrefix; when it is the cache itself,
// the index is read in place (Each), without a list per lookup.
func PrefixesReserving(ctx context.Context, c client.Reader, name string) ([]tenancy.TenantPrefix, error) {
	var out []tenancy.TenantPrefix
	inPlace, _ := c.(cache.Cache)
	for _, p := range tenancy.PrefixesOf(name) {
		if len(p) > maxPrefixLength {
			break
		}
		if inPlace != nil {
			if err := Each(ctx, inPlace, &naasv1alpha1.Tenant{}, TenantNamingPrefix, p, func(t *naasv1alpha1.Tenant) {
				out = append(out, tenancy.PrefixOf(t))
			}); err != nil {
				return nil, fmt.Errorf("find the tenants whose naming prefix is %q: %w", p, err)
			}
			continue
		}
		tenants := &naasv1alpha1.TenantList{}
		if err := c.List(ctx, tenants, client.MatchingFields{TenantNamingPrefix: p}, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("find the tenants whose naming prefix is %q: %w", p, err)
		}
		for i := range tenants.Items {
			out = append(out, tenancy.PrefixOf(&tenants.Items[i]))
		}
	}
	return out, nil
}
