package cacheindex

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// Field indexes of NamespaceClaims in the manager's cache. The controllers find the claims a tenant, template or
// tier change affects with them; the webhooks and the REST API count and list a tenant's claims.
const (
	ClaimTenant   = "spec.tenant"
	ClaimTemplate = "spec.template"
	ClaimTier     = "status.tier"
	// ClaimNotApplicable is "true" for claims with a step the cluster could not do for lack of an API kind:
	// the claims a new CRD may complete.
	ClaimNotApplicable = "status.notApplicable"
	// ClaimCollaborator indexes claims by the tenants their spec.collaborators name: the claims a change to such
	// a tenant (its members) or to its set of namespaces affects.
	ClaimCollaborator = "spec.collaborators.tenant"
	// ClaimCluster indexes claims by the cluster their namespace lives on (cluster.ClusterName): the claims a
	// change to a Cluster's availability affects, and those a cluster's removal must account for.
	ClaimCluster = "status.cluster"
	// ClaimUnplaced is "true" for claims not placed yet (no status.cluster): the claims a change to a Cluster may
	// let placement place.
	ClaimUnplaced = "status.unplaced"
)

// SetupClaimIndexes registers the claim field indexes with a cache (indexer is mgr.GetFieldIndexer()).
func SetupClaimIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	for name, f := range map[string]func(*naasv1alpha1.NamespaceClaim) string{
		ClaimTenant:   func(c *naasv1alpha1.NamespaceClaim) string { return c.Spec.Tenant },
		ClaimTemplate: func(c *naasv1alpha1.NamespaceClaim) string { return c.Spec.Template },
		ClaimTier:     func(c *naasv1alpha1.NamespaceClaim) string { return c.Status.Tier },
		ClaimCluster:  ClusterOf,
		ClaimUnplaced: func(c *naasv1alpha1.NamespaceClaim) string {
			if c.Status.Cluster == "" && c.DeletionTimestamp.IsZero() {
				return "true"
			}
			return ""
		},
		ClaimNotApplicable: func(c *naasv1alpha1.NamespaceClaim) string {
			for _, cond := range c.Status.Conditions {
				if cond.Reason == naasv1alpha1.ReasonNotApplicable {
					return "true"
				}
			}
			return ""
		},
	} {
		if err := indexer.IndexField(ctx, &naasv1alpha1.NamespaceClaim{}, name, func(o client.Object) []string {
			// Empty values are not indexed: nothing looks them up, and at 10,000 claims the set of claims
			// without a value (most, for status.notApplicable) costs memory for nothing.
			if v := f(o.(*naasv1alpha1.NamespaceClaim)); v != "" {
				return []string{v}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return indexer.IndexField(ctx, &naasv1alpha1.NamespaceClaim{}, ClaimCollaborator, func(o client.Object) []string {
		var out []string
		for _, c := range o.(*naasv1alpha1.NamespaceClaim).Spec.Collaborators {
			out = append(out, c.Tenant)
		}
		return out
	})
}

// ClusterOf is the cluster a claim's namespace lives on: status.cluster, which placement sets once; until
// placement has set it, spec.cluster (the cluster the claim names); and the management cluster for claims made
// before fleets existed.
func ClusterOf(claim *naasv1alpha1.NamespaceClaim) string {
	switch {
	case claim.Status.Cluster != "":
		return claim.Status.Cluster
	case claim.Spec.Cluster != "":
		return claim.Spec.Cluster
	}
	return naasv1alpha1.LocalClusterName
}
