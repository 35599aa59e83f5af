package namespaceclaim

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

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

// peersResyncDelay gathers the claims a burst of new namespaces affects into one reconcile each.
const peersResyncDelay = 2 * time.Second

// namespacesChanged enqueues, when a claim is created or deleted, the claims whose bundle names the namespaces of
// its tenant: the tenant's other claims and the claims that let the tenant in, when their template turns the mesh
// on (only the mesh's AuthorizationPolicy lists namespaces). It does so once per tenant, peersResyncDelay after the
// first change: the claims listed then include every namespace that appeared meanwhile, so a burst of thousands of
// new claims (or the initial list at start) costs one pass over the tenant's claims, not one per claim. Nothing is
// listed when no template turns the mesh on, and the cache's objects are read without copies.
func (r *Reconciler) namespacesChanged() handler.EventHandler {
	type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]
	var mu sync.Mutex
	pending := sets.New[string]()
	enqueue := func(ctx context.Context, tenant string, q queue) {
		templates := &naasv1alpha1.NamespaceTemplateList{}
		if err := r.Client.List(ctx, templates, client.UnsafeDisableDeepCopy); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "List templates to requeue after a change of namespaces", "tenant", tenant)
			return
		}
		mesh := sets.New[string]()
		for _, t := range templates.Items {
			if t.Spec.Features.Mesh {
				mesh.Insert(t.Name)
			}
		}
		if mesh.Len() == 0 {
			return
		}
		for _, index := range []string{cacheindex.ClaimTenant, cacheindex.ClaimCollaborator} {
			claims := &naasv1alpha1.NamespaceClaimList{}
			if err := r.Client.List(ctx, claims, client.MatchingFields{index: tenant}, client.UnsafeDisableDeepCopy); err != nil {
				ctrl.LoggerFrom(ctx).Error(err, "List claims to requeue after a change of namespaces", "tenant", tenant)
				continue
			}
			for _, c := range claims.Items {
				if mesh.Has(c.Spec.Template) {
					q.Add(reconcile.Request{NamespacedName: client.ObjectKey{Name: c.Name}})
				}
			}
		}
	}
	changed := func(ctx context.Context, o client.Object, q queue) {
		tenant := o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant
		mu.Lock()
		defer mu.Unlock()
		if pending.Has(tenant) {
			return
		}
		pending.Insert(tenant)
		time.AfterFunc(peersResyncDelay, func() {
			mu.Lock()
			pending.Delete(tenant)
			mu.Unlock()
			enqueue(ctx, tenant, q)
		})
	}
	return handler.TypedFuncs[client.Object, reconcile.Request]{
		CreateFunc: func(ctx context.Context, e event.TypedCreateEvent[client.Object], q queue) { changed(ctx, e.Object, q) },
		DeleteFunc: func(ctx context.Context, e event.TypedDeleteEvent[client.Object], q queue) { changed(ctx, e.Object, q) },
	}
}
