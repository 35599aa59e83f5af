package namespaceclaim

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/fleet"
	"github.com/naas-dev/naas/internal/placement"
)

// unplacedRetry is how soon a claim no cluster fits is tried again, for what no Cluster event reports (room freed
// by a deleted namespace).
const unplacedRetry = time.Minute

// place gives the claim its cluster, once (a placed namespace never moves), and resolves the target the later
// phases write to. The decision is recorded in the claim's status before anything is made on the cluster: a
// pass that fails after it finds the same cluster on the next.
func (r *Reconciler) place(ctx context.Context, s *scope) ([]result, error) {
	c := s.claim
	// A claim provisioned before naas placed claims is on the management cluster, which an empty
	// status.cluster means everywhere (cacheindex.ClusterOf, the registry's Resolve): it is left as it is, so
	// that an upgrade rewrites no claim.
	if c.Status.Cluster == "" && !meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionNamespace) {
		d, err := r.decide(ctx, s)
		if err != nil {
			return nil, err
		}
		if d.Cluster == "" {
			res := resultStalled(naasv1alpha1.ConditionPlaced, naasv1alpha1.ReasonNoClusterFits, d.Message)
			res.requeueAfter = unplacedRetry
			return []result{res}, nil
		}
		c.Status.Cluster = d.Cluster
		s.report(resultDone(naasv1alpha1.ConditionPlaced, d.Message))
		c.Status.ObservedGeneration = c.Generation
		if err := r.Client.Status().Patch(ctx, c, client.MergeFromWithOptions(s.original, client.MergeFromWithOptimisticLock{})); err != nil {
			return nil, fmt.Errorf("record the placement of claim %s on cluster %s: %w", c.Name, d.Cluster, err)
		}
		s.original = c.DeepCopy()
	}
	if s.target != nil {
		return nil, nil
	}
	target, err := r.Clusters.Resolve(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("resolve cluster %s of claim %s: %w", c.Status.Cluster, c.Name, err)
	}
	s.target = target
	return nil, nil
}

// placed reports whether the claim has its cluster: status.cluster, or, for a claim provisioned before naas
// placed claims, the management cluster (its namespace exists).
func placed(c *naasv1alpha1.NamespaceClaim) bool {
	return c.Status.Cluster != "" || meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionNamespace)
}

// decide places the claim: on the management cluster when it is the only one (or the claim was provisioned
// there before naas placed claims), else by placement.Decide inside a change of the placement ledger, so that
// concurrent decisions see each other's reservations.
func (r *Reconciler) decide(ctx context.Context, s *scope) (placement.Decision, error) {
	c := s.claim
	clusters := &naasv1alpha1.ClusterList{}
	if err := r.Client.List(ctx, clusters); err != nil {
		return placement.Decision{}, fmt.Errorf("list clusters: %w", err)
	}
	local := placement.Decision{Cluster: naasv1alpha1.LocalClusterName}
	switch {
	case r.Placement == nil || (fleet.SingleCluster(clusters.Items) && (c.Spec.Cluster == "" || c.Spec.Cluster == local.Cluster)):
		local.Message = "placed on local: the management cluster is the only cluster registered"
		return local, nil
	case meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionNamespace):
		local.Message = "placed on local: the namespace was made there before naas placed namespaces on clusters"
		return local, nil
	}
	spread, err := r.spread(ctx, c.Spec.Tenant)
	if err != nil {
		return placement.Decision{}, err
	}
	in := fleet.Inputs{Claim: c, Tenant: s.tenant, Template: s.template, Tier: s.tier, Clusters: clusters.Items, Spread: spread}
	uid := string(c.UID)
	var d placement.Decision
	err = r.Placement.Change(ctx, func(doc *fleet.Reservations) (bool, error) {
		if cl := doc.Of(c.Name, uid); cl != "" {
			d = placement.Decision{Cluster: cl, Message: doc.Claims[c.Name].Message}
			return false, nil
		}
		pruned := doc.Prune(r.placedInCache(ctx))
		var err error
		if in.Allocated, err = r.allocated(ctx, clusters.Items); err != nil {
			return false, err
		}
		doc.AddTo(in.Allocated)
		req := fleet.Request(in)
		if d, err = placement.Decide(req); err != nil {
			return false, err
		}
		if d.Cluster == "" {
			return pruned, nil
		}
		doc.Add(c.Name, uid, d.Cluster, req.Quota, d.Message)
		return true, nil
	})
	if err != nil {
		return placement.Decision{}, fmt.Errorf("place claim %s: %w", c.Name, err)
	}
	return d, nil
}

// spread counts the tenant's namespaces on each cluster.
func (r *Reconciler) spread(ctx context.Context, tenant string) (map[string]int, error) {
	out := map[string]int{}
	err := r.eachClaim(ctx, cacheindex.ClaimTenant, tenant, func(c *naasv1alpha1.NamespaceClaim) {
		if c.Status.Cluster != "" {
			out[c.Status.Cluster]++
		}
	})
	return out, err
}

// allocated sums, for each of clusters, what the quotas of the claims placed there reserve. It reads the claims
// of each cluster through the cache's index, in place: a decision runs inside the placement ledger's change, one
// after the other, and a copy of every claim for each (10,000 claims, 15 MB) made a burst of decisions crawl.
func (r *Reconciler) allocated(ctx context.Context, clusters []naasv1alpha1.Cluster) (map[string]placement.Resources, error) {
	tiers := &naasv1alpha1.TierList{}
	if err := r.Client.List(ctx, tiers); err != nil {
		return nil, fmt.Errorf("list tiers: %w", err)
	}
	templates := &naasv1alpha1.NamespaceTemplateList{}
	if err := r.Client.List(ctx, templates); err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	tierByName := map[string]*naasv1alpha1.Tier{}
	for i := range tiers.Items {
		tierByName[tiers.Items[i].Name] = &tiers.Items[i]
	}
	tplByName := map[string]*naasv1alpha1.NamespaceTemplate{}
	for i := range templates.Items {
		tplByName[templates.Items[i].Name] = &templates.Items[i]
	}
	quotas := map[[2]string]placement.Resources{}
	out := map[string]placement.Resources{}
	add := func(c *naasv1alpha1.NamespaceClaim) {
		if c.Status.Cluster == "" {
			return // named a cluster, not placed yet: the ledger holds its reservation
		}
		key := [2]string{c.Status.Tier, c.Spec.Template}
		q, ok := quotas[key]
		if !ok {
			q = fleet.Quota(tierByName[key[0]], tplByName[key[1]])
			quotas[key] = q
		}
		a := out[c.Status.Cluster]
		a.MilliCPU += q.MilliCPU
		a.MemoryBytes += q.MemoryBytes
		out[c.Status.Cluster] = a
	}
	for i := range clusters {
		if err := r.eachClaim(ctx, cacheindex.ClaimCluster, clusters[i].Name, add); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// eachClaim calls f with the cache's claims whose index field has value, in place when the reconciler has the
// cache.
func (r *Reconciler) eachClaim(ctx context.Context, field, value string, f func(*naasv1alpha1.NamespaceClaim)) error {
	if r.Cache != nil {
		return cacheindex.Each(ctx, r.Cache, &naasv1alpha1.NamespaceClaim{}, field, value, f)
	}
	list := &naasv1alpha1.NamespaceClaimList{}
	if err := r.Client.List(ctx, list, client.MatchingFields{field: value}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list claims by %s: %w", field, err)
	}
	for i := range list.Items {
		f(&list.Items[i])
	}
	return nil
}

// placedInCache tells where the cache shows a claim.
func (r *Reconciler) placedInCache(ctx context.Context) fleet.Placed {
	return func(name, uid string) (string, bool) {
		c := &naasv1alpha1.NamespaceClaim{}
		switch err := r.Client.Get(ctx, client.ObjectKey{Name: name}, c); {
		case apierrors.IsNotFound(err):
			return "", false
		case err != nil:
			return "", true // kept until the cache answers
		}
		if c.UID != types.UID(uid) {
			return "", false
		}
		return c.Status.Cluster, true
	}
}
